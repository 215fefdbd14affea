package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/testenv"
)

// TestStatusAndHistoryFindTheRelease: status and history take NAME or -f
// kship.yaml (its name and namespace), and a release that is not in the
// namespace looked in exits 1 naming that namespace and the ones that do
// hold it. Shell completion offers the release and the namespaces.
func TestStatusAndHistoryFindTheRelease(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns, other := testenv.Namespace(t, env, "cli-status-"), testenv.Namespace(t, env, "cli-status-")
	// The release name is this run's own: other tests (and other packages'
	// tests running at the same time) deploy releases named web, and the
	// "no namespace has it" and "it is in namespace X" messages look
	// across every namespace.
	rel := "st-" + strings.TrimPrefix(ns, "cli-status-")
	now := time.Now()
	store := record.NewStore(cs, time.Now, "test")
	if err := store.Save(t.Context(), &record.Revision{Release: rel, Namespace: ns, Outcome: record.OutcomeDeployed,
		Message: "verified", StartedAt: now.Add(-time.Minute), FinishedAt: now, By: "test"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"kship.yaml":     "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: " + rel + "}\nspec:\n  namespace: " + ns + "\n  source: {path: ./deploy}\n",
		"deploy/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
	})
	file := filepath.Join(dir, "kship.yaml")
	kc := []string{"--kubeconfig", env.Kubeconfig}
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"history", rel, "-n", ns}, exitcode.OK, []string{"REVISION", "deployed"}},
		{[]string{"history", "-f", file}, exitcode.OK, []string{"REVISION", "deployed"}},
		{[]string{"status", "--filename", file}, exitcode.OK, []string{"release " + rel + " in namespace " + ns + ": deployed"}},
		{[]string{"status", rel, "-n", ns}, exitcode.OK, []string{"deployed revision: 1"}},
		{[]string{"history", rel, "-n", other}, exitcode.Input,
			[]string{"release " + rel + " not found in namespace " + other + " (-n); a release " + rel + " is in namespace " + ns + ": add -n " + ns}},
		{[]string{"status", rel, "-n", other}, exitcode.Input, []string{"release " + rel + " not found in namespace " + other + " (-n)"}},
		{[]string{"history", "-f", file, "-n", other}, exitcode.Input, []string{"release " + rel + " not found in namespace " + other + " (-n)"}},
		{[]string{"status", "nosuch-release", "-n", ns}, exitcode.Input,
			[]string{"release nosuch-release not found in namespace " + ns + " (-n); no namespace has a release nosuch-release"}},
		{[]string{"history", rel}, exitcode.Input, []string{"(the kubeconfig context's namespace; choose another with -n)", "add -n " + ns}},
	}
	for _, tt := range tests {
		out, code := run(t, append(tt.args, kc...)...)
		if code != tt.code {
			t.Errorf("kship %s: exit %d, want %d:\n%s", strings.Join(tt.args, " "), code, tt.code, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("kship %s: output lacks %q:\n%s", strings.Join(tt.args, " "), w, out)
			}
		}
	}

	out, code := run(t, append([]string{"history", "-f", file, "-o", "json"}, kc...)...)
	var revs []struct {
		Revision int    `json:"revision"`
		Outcome  string `json:"outcome"`
	}
	if err := json.Unmarshal([]byte(out), &revs); err != nil || code != exitcode.OK || len(revs) != 1 || revs[0].Outcome != "deployed" {
		t.Errorf("history -f -o json: exit %d, %v:\n%s", code, err, out)
	}

	if got, _ := complete(t, append(kc, "status", "-n", ns, "")...); !slices.Equal(got, []string{rel}) {
		t.Errorf("release names in %s: %q", ns, got)
	}
	if got, _ := complete(t, append(kc, "history", "-n", other, "")...); len(got) != 0 {
		t.Errorf("release names in %s: %q", other, got)
	}
	if got, _ := complete(t, append(kc, "status", "-n", "cli-status-")...); !slices.Contains(got, ns) || !slices.Contains(got, other) || slices.Contains(got, "default") {
		t.Errorf("namespaces: %q", got)
	}
}
