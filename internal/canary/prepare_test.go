package canary

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

func obj(t *testing.T, y string) manifest.Object {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return manifest.Object{Obj: u}
}

// TestPrepareStrategyListsTheSteps: the plan of a canary lists each step
// with the canary's pods beside stable's, the pause, the analysis and its
// comparison with stable, the promotion and what is kept until Stabilize.
func TestPrepareStrategyListsTheSteps(t *testing.T) {
	dep := `apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: app, kship.dev/track: stable}}
  template:
    metadata: {labels: {app: app, kship.dev/track: stable}}
    spec: {containers: [{name: app, image: app:%s}]}
`
	svc := obj(t, "apiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: shop}\nspec: {selector: {app: app}}\n")
	w25, w100 := 25, 100
	rel := &config.Release{}
	rel.Spec.Strategy.Canary = &config.Canary{Steps: []config.CanaryStep{{SetWeight: &w25},
		{Analysis: &config.CanaryAnalysis{Duration: config.Duration{Duration: 30e9}, Interval: config.Duration{Duration: 5e9}, MaxAboveStable: map[string]float64{"error-rate": 0.01}}},
		{Pause: &config.CanaryPause{}}, {SetWeight: &w100}}}
	s := New(rollout.Env{})
	p, err := s.PrepareStrategy(t.Context(), rollout.Target{Release: rel, Objects: []manifest.Object{obj(t, strings.ReplaceAll(dep, "%s", "v2")), svc},
		Live: []manifest.Object{obj(t, strings.ReplaceAll(dep, "%s", "v1"))}})
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(p.Steps, "\n")
	for _, want := range []string{
		"step 1: setWeight 25%: Deployment shop/app-canary scaled to 1 pods beside 3 stable pods of Deployment shop/app (25% of ready pods)",
		"step 2: analysis for 30s every 5s on the canary's pods: every gate; error-rate at most 0.01 above stable's pods",
		"step 3: pause: the run ends paused at 25% (exit 6)",
		"Service shop/app select only kship.dev/track: stable, and Deployment shop/app-previous starts 3 pods of the previous template",
		"a Verify or Stabilize failure first switches Service shop/app to Deployment shop/app-previous at once",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	first, _ := s.PrepareStrategy(t.Context(), rollout.Target{Release: rel, Objects: []manifest.Object{obj(t, strings.ReplaceAll(dep, "%s", "v2"))}})
	if len(first.Steps) != 1 || !strings.Contains(first.Steps[0], "first release") {
		t.Errorf("first release steps = %v", first.Steps)
	}
}
