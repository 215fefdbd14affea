package evidence

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/plan"
)

// The -update flag rewrites golden files. It is looked up rather than
// declared as a package variable so that other test files of this package
// may declare it too.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got\n%s", path, got)
	}
}

var testNow = time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC)

func samplePlan() *plan.Plan {
	max := 0.01
	rel := &config.Release{Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{
		Namespace: "shop",
		Strategy:  config.Strategy{Type: config.StrategyRolling},
		Verify: config.Verify{RolloutTimeout: config.Duration{Duration: 5 * time.Minute},
			Smoke: []config.SmokeCheck{{Name: "health", HTTP: &config.HTTPCheck{URL: "http://web.shop.example/healthz", ExpectStatus: 200}, Retries: 3}},
			Metrics: &config.Metrics{Prometheus: config.Prometheus{Address: "http://127.0.0.1:9090"},
				Gates: []config.Gate{{Name: "error-rate", Query: `sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))`, Max: &max, NoData: "fail"}}}},
		Stabilize: config.Stabilize{Window: config.Duration{Duration: 30 * time.Second}, Interval: config.Duration{Duration: 10 * time.Second}},
		Rollback:  config.Rollback{Method: config.RollbackAuto},
		Detector:  config.Detector{RestartThreshold: 2, UnschedulableGrace: config.Duration{Duration: 15 * time.Second}},
	}}
	web := manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}
	p := &plan.Plan{Release: "web", Namespace: "shop", Cluster: "https://127.0.0.1:6443", Generated: testNow,
		Defaults: []config.Default{{Field: "spec.strategy.type", Value: "RollingUpdate"}, {Field: "spec.verify.rolloutTimeout", Value: "5m"}},
		Changes: []plan.Change{
			{Ref: manifest.Ref{Kind: "Namespace", Name: "shop"}, Source: manifest.Location{File: "deploy/ns.yaml", Line: 1}, APIVersion: "v1",
				Action: plan.ActionUnchanged, DryRun: plan.DryRun{Mode: plan.DryRunServer}},
			{Ref: manifest.Ref{Kind: "Secret", Namespace: "shop", Name: "db"}, Source: manifest.Location{File: "deploy/secret.yaml", Line: 1}, APIVersion: "v1",
				Action: plan.ActionUpdate, DryRun: plan.DryRun{Mode: plan.DryRunServer},
				Diff: []plan.FieldDiff{{Path: "data.password", Op: plan.OpChanged, Masked: true}, {Path: "data.user", Op: plan.OpUnchanged, Masked: true}}},
			{Ref: web, Source: manifest.Location{File: "deploy/web.yaml", Line: 1}, APIVersion: "apps/v1",
				Action: plan.ActionUpdate, DryRun: plan.DryRun{Mode: plan.DryRunServer},
				Diff: []plan.FieldDiff{{Path: "spec.template.spec.containers[name=web].image", Op: plan.OpChanged, Old: `"demo:v1"`, New: `"demo:v2"`}}},
			{Ref: manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "new", Name: "api"}, Source: manifest.Location{File: "deploy/new.yaml", Line: 9}, APIVersion: "apps/v1",
				Action: plan.ActionCreate, DryRun: plan.DryRun{Mode: plan.DryRunStandIn, Note: "namespace new is created by this release: dry-run as a create in the existing namespace shop instead"}},
			{Ref: manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "worker"}, Source: manifest.Location{File: "deploy/worker.yaml", Line: 1}, APIVersion: "apps/v1",
				Action: plan.ActionUpdate, DryRun: plan.DryRun{Mode: plan.DryRunServer},
				DryRunError: `Deployment.apps "worker" is invalid: spec.selector: Invalid value: {"matchLabels":{"app":"w2"}}: field is immutable`},
			{Ref: manifest.Ref{Kind: "ConfigMap", Namespace: "shop", Name: "old"}, Source: manifest.Location{File: "deploy/old.yaml", Line: 1}, APIVersion: "v1",
				Action: plan.ActionPrune, DryRun: plan.DryRun{Mode: plan.DryRunNone}},
		},
		Risks: []plan.Risk{
			{Object: manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "worker"}, Kind: plan.RiskImmutable,
				Message: "spec.selector cannot be changed in place (the API server refuses it)",
				Advice:  plan.ImmutableAdvice(manifest.Ref{Kind: "Deployment", Name: "worker"}, "spec.selector")},
			{Object: manifest.Ref{Kind: "ConfigMap", Namespace: "shop", Name: "old"}, Kind: plan.RiskDelete,
				Message: "deleted: the previous revision had it and this one does not", Advice: "if this is not intended, add the object back to the release's sources"},
		},
	}
	p.Restarts = []plan.Restart{{Workload: web, Because: []plan.ConfigChange{
		{Config: manifest.Ref{Kind: "Secret", Namespace: "shop", Name: "db"}, Change: "changed", Uses: []string{"envFrom", "volume creds"}}}}}
	p.Count()
	p.Criteria = plan.BuildCriteria(rel, 5, true, 3, 1)
	return p
}

func TestPlanMarkdownGolden(t *testing.T) {
	golden(t, "plan_update.md", PlanMarkdown(samplePlan()))
}

func TestPlanMarkdownFirstReleaseGolden(t *testing.T) {
	rel := &config.Release{Metadata: config.Metadata{Name: "api"}, Spec: config.Spec{Namespace: "shop",
		Verify:   config.Verify{RolloutTimeout: config.Duration{Duration: time.Minute}},
		Rollback: config.Rollback{Method: config.RollbackManual},
		Detector: config.Detector{RestartThreshold: 2, UnschedulableGrace: config.Duration{Duration: 15 * time.Second}}}}
	p := &plan.Plan{Release: "api", Namespace: "shop", Generated: testNow, Risks: []plan.Risk{},
		Changes: []plan.Change{{Ref: manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "api"},
			Source: manifest.Location{File: "api.yaml", Line: 3}, APIVersion: "apps/v1", Action: plan.ActionCreate,
			DryRun: plan.DryRun{Mode: plan.DryRunNone, Note: "offline: no cluster was asked"}}}}
	p.Count()
	p.Criteria = plan.BuildCriteria(rel, 1, false, 0, 1)
	golden(t, "plan_offline_first.md", PlanMarkdown(p))
}

func TestPlanTextGolden(t *testing.T) {
	golden(t, "plan_update.txt", []byte(PlanText(samplePlan())))
}
