package helm

import (
	"strings"
	"testing"
)

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hist   []Revision
		action string
		number int
	}{
		{"no release installs", nil, ActionInstall, 1},
		{"uninstalled installs again, numbering on", []Revision{{Number: 1, Status: StatusSuperseded}, {Number: 2, Status: StatusUninstalled}}, ActionInstall, 3},
		{"deployed upgrades", []Revision{{Number: 1, Status: StatusDeployed}}, ActionUpgrade, 2},
		{"a failed first install upgrades (as helm upgrade --install)", []Revision{{Number: 1, Status: StatusFailed}}, ActionUpgrade, 2},
	} {
		a, n := Next(tc.hist)
		if a != tc.action || n != tc.number {
			t.Errorf("%s: Next = %s %d, want %s %d", tc.name, a, n, tc.action, tc.number)
		}
	}
}

func TestLastGoodAndForKship(t *testing.T) {
	h := []Revision{{Number: 1, Status: StatusSuperseded, KshipRevision: 1}, {Number: 2, Status: StatusFailed, KshipRevision: 2},
		{Number: 3, Status: StatusDeployed, KshipRevision: 3}, {Number: 4, Status: StatusPendingUpgrade}}
	if g := lastGood(h, 4); g == nil || g.Number != 3 {
		t.Errorf("lastGood before 4 = %+v", g)
	}
	if g := lastGood(h, 3); g == nil || g.Number != 1 {
		t.Errorf("lastGood before 3 = %+v (a failed revision is not good)", g)
	}
	if g := lastGood(h[1:2], 0); g != nil {
		t.Errorf("lastGood of only failed = %+v", g)
	}
	if r := ForKship(h, 2); r == nil || r.Number != 2 {
		t.Errorf("ForKship(2) = %+v", r)
	}
	if r := ForKship(h, 9); r != nil {
		t.Errorf("ForKship(9) = %+v", r)
	}
}

func TestPendingErrorNamesStateAndCommands(t *testing.T) {
	e := &PendingError{Release: "web", Namespace: "shop", Good: 2,
		Revision: Revision{Number: 3, Status: StatusPendingUpgrade, Description: "Preparing upgrade"}}
	msg := e.Error()
	for _, want := range []string{"Helm release shop/web is pending-upgrade at revision 3", `"Preparing upgrade" by another client`,
		"kship changed nothing", "`helm history web -n shop`", "`helm rollback web 2 -n shop`"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	e.Good, e.Revision.Status, e.Revision.KshipRevision = 0, StatusPendingInstall, 4
	msg = e.Error()
	for _, want := range []string{"pending-install at revision 3", "by kship revision 4", "`helm uninstall web -n shop --keep-history`"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

func TestPinnedTemplate(t *testing.T) {
	p := &pinned{chartDir: "deploy/chart", chartName: "web"}
	for file, want := range map[string]struct {
		tmpl string
		crd  bool
	}{
		"deploy/chart/templates/config.yaml": {"web/templates/config.yaml", false},
		"deploy/chart/crds/widgets.yaml":     {"web/crds/widgets.yaml", true},
		"elsewhere.yaml":                     {"web/templates/kship.yaml", false},
	} {
		tmpl, crd := p.template(file)
		if tmpl != want.tmpl || crd != want.crd {
			t.Errorf("template(%s) = %s %v, want %+v", file, tmpl, crd, want)
		}
	}
}

// Helm 4 moves its client-side fields to server-side apply when the
// revision it upgrades (the deployed one, else the last) was applied
// client-side (a Helm 3 client's), and only then.
func TestUpgradesClientSide(t *testing.T) {
	ssa, csa := Revision{Number: 1, Status: StatusSuperseded, ServerSide: true}, Revision{Number: 1, Status: StatusSuperseded}
	for _, tc := range []struct {
		name string
		hist []Revision
		want bool
	}{
		{"no release: an install", nil, false},
		{"kship's server-side revision deployed", []Revision{ssa, {Number: 2, Status: StatusDeployed, ServerSide: true}}, false},
		{"helm3 rollback deployed", []Revision{ssa, {Number: 2, Status: StatusDeployed}}, true},
		{"helm3 install deployed", []Revision{{Number: 1, Status: StatusDeployed}}, true},
		{"a failed server-side revision after a client-side deployed one", []Revision{{Number: 1, Status: StatusDeployed}, {Number: 2, Status: StatusFailed, ServerSide: true}}, true},
		{"none deployed: the last, client-side", []Revision{ssa, {Number: 2, Status: StatusFailed}}, true},
		{"uninstalled: an install", []Revision{csa, {Number: 2, Status: StatusUninstalled}}, false},
	} {
		if got := upgradesClientSide(tc.hist); got != tc.want {
			t.Errorf("%s: upgradesClientSide = %v, want %v", tc.name, got, tc.want)
		}
	}
}
