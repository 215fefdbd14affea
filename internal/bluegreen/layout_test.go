package bluegreen

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

func objects(t *testing.T, docs ...string) []manifest.Object {
	t.Helper()
	var out []manifest.Object
	for i, y := range docs {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(y), &m); err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetNamespace() == "" {
			u.SetNamespace("shop")
		}
		out = append(out, manifest.Object{Obj: u, Source: manifest.Location{File: "app.yaml", Line: 1 + 10*i}})
	}
	return out
}

const (
	deployV1 = `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 3, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: "web:v1"}]}}}}`
	deployV2 = `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 3, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: "web:v2"}]}}}}`
	service  = `{apiVersion: v1, kind: Service, metadata: {name: web, labels: {team: a}}, spec: {type: NodePort, selector: {app: web}, ports: [{name: http, port: 80, targetPort: http, nodePort: 30080}]}}`
	config1  = `{apiVersion: v1, kind: ConfigMap, metadata: {name: web-config}, data: {a: "1"}}`
)

func byRef(objs []manifest.Object) map[string]manifest.Object {
	out := map[string]manifest.Object{}
	for _, o := range objs {
		out[o.Ref().Kind+"/"+o.Ref().Name] = o
	}
	return out
}

// TestComputeColorsTheRevision: the first release is blue; the next one
// with a new template is green beside blue, the active Service and the
// preview select green, the ConfigMap is kept; one with the same template
// stays blue; a rolling Deployment in the history is migrated.
func TestComputeColorsTheRevision(t *testing.T) {
	bg := &config.BlueGreen{ScaleDownDelay: config.Duration{Duration: 30e9}}
	first, fs := Compute(Input{Objects: objects(t, deployV1, service, config1), Config: bg})
	if len(fs) > 0 {
		t.Fatal(fs)
	}
	if first.Mode != ModeFirst || first.Color != Blue {
		t.Fatalf("first: mode %s color %s", first.Mode, first.Color)
	}
	got := byRef(first.Objects)
	if len(got) != 4 || got["Deployment/web-blue"].Obj == nil || got["Service/web-preview"].Obj == nil || got["ConfigMap/web-config"].Obj == nil {
		t.Fatalf("first objects: %v", keys(got))
	}
	d := got["Deployment/web-blue"].Obj
	if sel := stringMap(d, "spec", "selector", "matchLabels"); sel[ColorLabel] != Blue || sel["app"] != "web" {
		t.Errorf("blue selector %v", sel)
	}
	if l := stringMap(d, "spec", "template", "metadata", "labels"); l[ColorLabel] != Blue {
		t.Errorf("blue pod labels %v", l)
	}
	prev := got["Service/web-preview"].Obj
	if typ, _, _ := unstructured.NestedString(prev.Object, "spec", "type"); typ != "ClusterIP" || prev.GetLabels()["team"] != "a" {
		t.Errorf("preview: type %s labels %v", typ, prev.GetLabels())
	}
	ports, _, _ := unstructured.NestedSlice(prev.Object, "spec", "ports")
	if p := ports[0].(map[string]any); p["nodePort"] != nil || p["targetPort"] != "http" {
		t.Errorf("preview port %v", p)
	}

	next, fs := Compute(Input{Objects: objects(t, deployV2, service, config1), Previous: first.Objects, Config: bg})
	if len(fs) > 0 {
		t.Fatal(fs)
	}
	if next.Mode != ModeSwitch || next.Color != Green || next.OldColor != Blue || next.Old.Name != "web-blue" {
		t.Fatalf("next: mode %s color %s old %s %s", next.Mode, next.Color, next.OldColor, next.Old)
	}
	got = byRef(next.Objects)
	if got["Deployment/web-green"].Obj == nil || got["Deployment/web-blue"].Obj != nil {
		t.Errorf("next objects: %v", keys(got))
	}
	for _, s := range []string{"Service/web", "Service/web-preview"} {
		if sel := stringMap(got[s].Obj, "spec", "selector"); sel[ColorLabel] != Green || sel["app"] != "web" {
			t.Errorf("%s selector %v, want app: web and green", s, sel)
		}
	}
	steps := strings.Join(next.Steps(bg), "\n")
	for _, want := range []string{"create Deployment shop/web-green (3 replicas, kship.dev/color: green) beside Deployment shop/web-blue",
		"switch: Service shop/web selector kship.dev/color: blue → kship.dev/color: green", "hold Deployment shop/web-blue (scaled as it is) for 30s", "remove Deployment shop/web-blue"} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps lack %q:\n%s", want, steps)
		}
	}

	same, _ := Compute(Input{Objects: objects(t, deployV2, service), Previous: next.Objects, Config: bg})
	if same.Mode != ModeSame || same.Color != Green {
		t.Errorf("same template: mode %s color %s, want same green", same.Mode, same.Color)
	}
	back, _ := Compute(Input{Objects: objects(t, deployV1, service), Previous: next.Objects, Config: bg})
	if back.Mode != ModeSwitch || back.Color != Blue {
		t.Errorf("after green: mode %s color %s, want switch to blue", back.Mode, back.Color)
	}
	live, _ := Compute(Input{Objects: objects(t, deployV1, service), Previous: append(next.Objects, first.Objects[0]), Config: bg, LiveColor: Blue})
	if live.Mode != ModeSame || live.Color != Blue {
		t.Errorf("live color blue (switched back by hand): mode %s color %s, want same blue", live.Mode, live.Color)
	}

	mig, fs := Compute(Input{Objects: objects(t, deployV2, service), Previous: objects(t, deployV1, service), Config: bg, MigrationHash: "abc12"})
	if len(fs) > 0 {
		t.Fatal(fs)
	}
	if mig.Mode != ModeMigrate || mig.Color != Blue || mig.Old.Name != "web" {
		t.Fatalf("migration: mode %s color %s old %s", mig.Mode, mig.Color, mig.Old)
	}
	steps = strings.Join(mig.Steps(bg), "\n")
	for _, want := range []string{"migrate from RollingUpdate: a Deployment's selector is immutable", "Service shop/web gets pod-template-hash: abc12",
		"switch: Service shop/web selector pod-template-hash: abc12 → kship.dev/color: blue", "remove Deployment shop/web;"} {
		if !strings.Contains(steps, want) {
			t.Errorf("migration steps lack %q:\n%s", want, steps)
		}
	}
}

func keys(m map[string]manifest.Object) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestComputeRefuses: what would break a blue-green release is a finding
// with its fix.
func TestComputeRefuses(t *testing.T) {
	other := `{apiVersion: v1, kind: Service, metadata: {name: web-metrics}, spec: {selector: {app: web}, ports: [{port: 9090}]}}`
	colored := `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {selector: {matchLabels: {app: web, kship.dev/color: blue}}, template: {metadata: {labels: {app: web, kship.dev/color: blue}}}}}`
	preview := `{apiVersion: v1, kind: Service, metadata: {name: web-preview}, spec: {selector: {app: web}}}`
	tests := map[string]struct {
		objs []string
		cfg  config.BlueGreen
		want string
	}{
		"no deployment":     {[]string{service}, config.BlueGreen{}, "exactly one Deployment"},
		"two deployments":   {[]string{deployV1, strings.Replace(deployV1, "name: web}", "name: api}", 1), service}, config.BlueGreen{}, "this release has 2"},
		"color label":       {[]string{colored, service}, config.BlueGreen{}, "kship sets kship.dev/color on each color itself: remove it from spec.selector.matchLabels"},
		"no service":        {[]string{deployV1, config1}, config.BlueGreen{}, "no Service of the release selects the pods"},
		"two services":      {[]string{deployV1, service, other}, config.BlueGreen{}, "name the one live traffic goes through in spec.strategy.blueGreen.activeService"},
		"named missing":     {[]string{deployV1, service}, config.BlueGreen{ActiveService: "nope"}, "activeService nope is not a Service of the release"},
		"named unselected":  {[]string{deployV1, service, `{apiVersion: v1, kind: Service, metadata: {name: db}, spec: {selector: {app: db}}}`}, config.BlueGreen{ActiveService: "db"}, "does not select the pods"},
		"preview in bundle": {[]string{deployV1, service, preview}, config.BlueGreen{ActiveService: "web"}, "kship writes the preview Service web-preview itself"},
	}
	for name, tt := range tests {
		_, fs := Compute(Input{Objects: objects(t, tt.objs...), Config: &tt.cfg})
		if len(fs) != 1 || !strings.Contains(fs[0].Message, tt.want) {
			t.Errorf("%s: findings %+v, want one with %q", name, fs, tt.want)
		}
	}
	l, fs := Compute(Input{Objects: objects(t, deployV1, service, other), Config: &config.BlueGreen{ActiveService: "web"}})
	if len(fs) > 0 || l.Active.Name != "web" {
		t.Errorf("named active among two: %v %+v", fs, l)
	}
}

// TestAimRewritesTheActiveServiceToThePreview: a check reaching the
// active Service by Host header or URL is aimed at the preview; another
// (and a Job) runs after the switch only.
func TestAimRewritesTheActiveServiceToThePreview(t *testing.T) {
	checks := []config.SmokeCheck{
		{Name: "host", HTTP: &config.HTTPCheck{URL: "http://${KSHIP_INGRESS}/healthz", Headers: map[string]string{"host": "web.shop", "X-A": "b"}}},
		{Name: "url", HTTP: &config.HTTPCheck{URL: "http://web.shop.svc.cluster.local:8080/x?y=1"}},
		{Name: "elsewhere", HTTP: &config.HTTPCheck{URL: "http://webshop.example/", Headers: map[string]string{"Host": "website.shop"}}},
		{Name: "job", Job: &config.JobCheck{Image: "busybox"}},
	}
	aimed, after := Aim(checks, "web", "web-preview")
	if len(aimed) != 2 || strings.Join(after, ",") != "elsewhere,job" {
		t.Fatalf("aimed %d, after %v", len(aimed), after)
	}
	if h := aimed[0].HTTP.Headers["host"]; h != "web-preview.shop" || aimed[0].HTTP.URL != "http://${KSHIP_INGRESS}/healthz" || aimed[0].HTTP.Headers["X-A"] != "b" {
		t.Errorf("host check: %+v", aimed[0].HTTP)
	}
	if u := aimed[1].HTTP.URL; u != "http://web-preview.shop.svc.cluster.local:8080/x?y=1" {
		t.Errorf("url check: %s", u)
	}
	if checks[0].HTTP.Headers["host"] != "web.shop" {
		t.Error("Aim changed the release file's check")
	}
}
