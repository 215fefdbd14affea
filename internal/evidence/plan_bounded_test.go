package evidence

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/plan"
)

// bigPlan is a plan of n created Deployments in two namespaces, each with
// a mutable-image risk, plus one failed dry-run and one prune at the end
// (where a view that lists the first changes would never reach them).
func bigPlan(n int) *plan.Plan {
	p := &plan.Plan{Release: "big", Namespace: "shop", Generated: testNow}
	for i := 0; i < n; i++ {
		ns := "shop"
		if i%4 == 0 {
			ns = "batch"
		}
		ref := manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: ns, Name: fmt.Sprintf("app%d", i)}
		p.Changes = append(p.Changes, plan.Change{Ref: ref, Source: manifest.Location{File: "deploy/apps.yaml", Line: 1 + 13*i},
			APIVersion: "apps/v1", Action: plan.ActionCreate, DryRun: plan.DryRun{Mode: plan.DryRunNone, Note: "offline"}})
		p.Risks = append(p.Risks, plan.Risk{Object: ref, Kind: plan.RiskMutableImage, Message: fmt.Sprintf("container %q uses image %q", "web", fmt.Sprintf("app%d:latest", i))})
	}
	p.Changes = append(p.Changes,
		plan.Change{Ref: manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "broken"}, Action: plan.ActionUpdate,
			DryRunError: "spec.selector: field is immutable", DryRun: plan.DryRun{Mode: plan.DryRunServer}},
		plan.Change{Ref: manifest.Ref{Kind: "ConfigMap", Namespace: "shop", Name: "gone"}, Action: plan.ActionPrune, DryRun: plan.DryRun{Mode: plan.DryRunNone}})
	p.Risks = append(p.Risks, plan.Risk{Object: manifest.Ref{Kind: "ConfigMap", Namespace: "shop", Name: "gone"}, Kind: plan.RiskDelete, Message: "deleted"})
	p.Count()
	return p
}

// A plan of thousands of objects has human views of bounded size that still
// show the failed dry-run and the prune (listed first), count every change
// per kind and namespace, group the repeated risk with its count, and name
// plan.json, which keeps every change.
func TestPlanViewsAreBounded(t *testing.T) {
	small, large := bigPlan(1000), bigPlan(10000)
	for name, render := range map[string]func(*plan.Plan) string{
		"rollout-plan.md": func(p *plan.Plan) string { return string(PlanMarkdown(p)) },
		"terminal":        PlanText,
	} {
		a, b := render(small), render(large)
		if len(b) > len(a)+len(a)/10 {
			t.Errorf("%s grows with the plan: %d bytes at 1,000 objects, %d at 10,000", name, len(a), len(b))
		}
		for _, want := range []string{"Deployment shop/broken", "field is immutable", "ConfigMap shop/gone", "10000 objects", PlanJSONFile} {
			if !strings.Contains(b, want) {
				t.Errorf("%s of 10,000 objects does not say %q:\n%s", name, want, b)
			}
		}
		if !strings.Contains(b, "7500 create") && !strings.Contains(b, "| Deployment.apps | shop | 7500 | 1 |") {
			t.Errorf("%s does not count the Deployments of namespace shop per action:\n%s", name, b)
		}
		if strings.Count(b, "uses image") != 1 {
			t.Errorf("%s shows the repeated risk %d times, want once, grouped", name, strings.Count(b, "uses image"))
		}
	}

	dir := t.TempDir()
	if _, err := WritePlan(dir, large, NewRedactor()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, PlanJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var back plan.Plan
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Changes) != len(large.Changes) || len(back.Risks) != len(large.Risks) {
		t.Errorf("plan.json has %d changes and %d risks, want every one: %d and %d", len(back.Changes), len(back.Risks), len(large.Changes), len(large.Risks))
	}
	if strings.Contains(string(data), "\n  ") {
		t.Errorf("plan.json of 10,000 changes is indented; it should be compact")
	}
}

// A plan within the limits is listed whole, as before.
func TestShownChangesKeepsSmallPlans(t *testing.T) {
	p := bigPlan(10)
	shown, omitted := shownChanges(p.Changes, markdownChanges)
	if omitted != 0 || len(shown) != len(p.Changes) {
		t.Errorf("shown %d, omitted %d of %d", len(shown), omitted, len(p.Changes))
	}
	shown, omitted = shownChanges(p.Changes, 3)
	if omitted != 9 || len(shown) != 3 || shown[0].Ref.Name != "app0" || shown[1].Ref.Name != "broken" || shown[2].Ref.Name != "gone" {
		t.Errorf("the 3 shown of 12 should be the failure, the prune, and the first create in plan order: %v (omitted %d)", shown, omitted)
	}
}
