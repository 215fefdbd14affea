package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

func TestMutableImage(t *testing.T) {
	tests := map[string]bool{
		"nginx":                         true,
		"nginx:latest":                  true,
		"registry:5000/team/app":        true,
		"registry:5000/team/app:latest": true,
		"nginx:1.27":                    false,
		"registry:5000/team/app:v2":     false,
		"nginx@sha256:0123abcd":         false,
	}
	for img, want := range tests {
		if got := MutableImage(img); got != want {
			t.Errorf("MutableImage(%q) = %v, want %v", img, got, want)
		}
	}
}

func TestRisks(t *testing.T) {
	scaled := strings.Replace(deployV1, "replicas: 2\n", "replicas: 0\n", 1)
	latest := strings.Replace(deployV1, "demo:v1", "demo:latest", 1)
	newSelector := strings.Replace(deployV1, "selector: {matchLabels: {app: web}}", "selector: {matchLabels: {app: web2}}", 1)
	pvc := `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data, namespace: shop}, spec: {storageClassName: fast}}`
	tests := []struct {
		name         string
		action       Action
		live, result string
		immutable    []string
		want         []RiskKind
		wantAdvice   string
	}{
		{"plain update", ActionUpdate, deployV1, deployV1, nil, nil, ""},
		{"scale to zero", ActionUpdate, deployV1, scaled, nil, []RiskKind{RiskScaleToZero}, "spec.replicas"},
		{"latest image", ActionCreate, "", latest, nil, []RiskKind{RiskMutableImage}, "digest"},
		{"unchanged is never risky", ActionUnchanged, latest, latest, nil, nil, ""},
		{"prune", ActionPrune, deployV1, "", nil, []RiskKind{RiskDelete}, "add the object back"},
		{"pvc update", ActionUpdate, pvc, pvc, nil, []RiskKind{RiskPVC}, "migrate"},
		{"immutable selector", ActionUpdate, deployV1, "", []string{"spec.selector"}, []RiskKind{RiskImmutable}, "delete and recreate the Deployment"},
		{"immutable from manifest", ActionUpdate, deployV1, "", mergePaths(immutableFromManifest(obj(t, newSelector), obj(t, deployV1))), []RiskKind{RiskImmutable}, "kubectl delete deployment web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := observed{change: Change{Action: tt.action}, immutable: tt.immutable}
			src := tt.result
			if src == "" {
				src = tt.live
			}
			o.obj = manifest.Object{Obj: obj(t, src)}
			o.change.Ref = o.obj.Ref()
			if tt.live != "" {
				o.live = obj(t, tt.live)
			}
			if tt.result != "" {
				o.result = obj(t, tt.result)
			}
			got := risksOf(o)
			var kinds []RiskKind
			for _, r := range got {
				kinds = append(kinds, r.Kind)
			}
			if len(kinds) != len(tt.want) || (len(kinds) > 0 && kinds[0] != tt.want[0]) {
				t.Fatalf("risks %v, want %v (%+v)", kinds, tt.want, got)
			}
			if tt.wantAdvice != "" && !strings.Contains(got[0].Advice, tt.wantAdvice) {
				t.Errorf("advice %q does not mention %q", got[0].Advice, tt.wantAdvice)
			}
		})
	}
}

func TestImmutableFromManifestIgnoresDefaults(t *testing.T) {
	desired := obj(t, `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {ports: [{port: 80}]}}`)
	live := obj(t, `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {clusterIP: 10.0.0.1, ports: [{port: 80}]}}`)
	if got := immutableFromManifest(desired, live); len(got) != 0 {
		t.Errorf("unset clusterIP flagged as immutable change: %v", got)
	}
	desired = obj(t, `{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {clusterIP: 10.0.0.2}}`)
	if got := immutableFromManifest(desired, live); len(got) != 1 || got[0] != "spec.clusterIP" {
		t.Errorf("changed clusterIP: got %v, want [spec.clusterIP]", got)
	}
}

func TestBuildCriteria(t *testing.T) {
	max := 0.01
	rel := &config.Release{Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{
		Namespace: "shop",
		Verify: config.Verify{RolloutTimeout: config.Duration{Duration: 5 * time.Minute},
			Smoke:   []config.SmokeCheck{{Name: "health", HTTP: &config.HTTPCheck{URL: "http://web.shop/healthz"}, Retries: 3}},
			Metrics: &config.Metrics{Prometheus: config.Prometheus{Address: "http://127.0.0.1:9090"}, Gates: []config.Gate{{Name: "errors", Query: "q", Max: &max}}}},
		Stabilize: config.Stabilize{Window: config.Duration{Duration: time.Minute}, Interval: config.Duration{Duration: 10 * time.Second}},
		Rollback:  config.Rollback{Method: config.RollbackAuto},
		Detector:  config.Detector{RestartThreshold: 2, UnschedulableGrace: config.Duration{Duration: 15 * time.Second}},
	}}
	c := BuildCriteria(rel, 4, true, 7, 1)
	all := strings.Join(append(append([]string{}, c.Success...), c.Triggers...), "\n")
	for _, want := range []string{"objects (4) is Current", "within 5m0s", `"health" passes: GET http://web.shop/healthz answers 200`,
		`gate "errors": value ≤ 0.01 (no data: fail)`, "for 1m0s, checked every 10s", "restart count ≥ 2", "longer than 15s",
		"a smoke check fails", "a gate fails"} {
		if !strings.Contains(all, want) {
			t.Errorf("criteria do not say %q:\n%s", want, all)
		}
	}
	if !strings.Contains(c.RollbackRestores, "revision 7") || c.Unverifiable {
		t.Errorf("restores %q, unverifiable %v", c.RollbackRestores, c.Unverifiable)
	}
	rel.Spec.Verify.Smoke, rel.Spec.Verify.Metrics = nil, nil
	c = BuildCriteria(rel, 4, false, 0, 3)
	if !c.Unverifiable || !strings.Contains(c.RollbackRestores, "deletes the 3 objects") {
		t.Errorf("first unverifiable release: %+v", c)
	}
}
