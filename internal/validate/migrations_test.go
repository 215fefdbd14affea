package validate

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
)

const migrationJobs = `apiVersion: batch/v1
kind: Job
metadata: {name: migrate-up}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: "migrate:1"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate-down}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: "migrate:1"}]
`

func TestGuardrails(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*config.Release)
		want  []string
		empty bool
	}{
		{"verified release with auto rollback", func(*config.Release) {}, nil, false},
		{"manual rollback is known", func(r *config.Release) { r.Spec.Rollback.Method = config.RollbackManual }, nil, false},
		{"unset rollback", func(r *config.Release) { r.Spec.Rollback.Method = "" }, []string{`fail 0: no known rollback: spec.rollback.method is not set`}, false},
		{"unknown rollback", func(r *config.Release) { r.Spec.Rollback.Method = "pray" }, []string{`fail 0: no known rollback: spec.rollback.method "pray"`}, false},
		{"no smoke and no gates", func(r *config.Release) { r.Spec.Verify = config.Verify{} },
			[]string{`warn 0: unverifiable: no smoke check and no metric gate, so deploy will end with exit 5, never 0`}, false},
		{"smoke only is verifiable", func(r *config.Release) { r.Spec.Verify.Metrics = nil }, nil, false},
		{"a gate's wait fits the rollout's budget", func(r *config.Release) { r.Spec.Verify.Metrics = longGate(4*time.Minute, 15*time.Second) }, nil, false},
		{"a gate's wait longer than the rollout's budget", func(r *config.Release) { r.Spec.Verify.Metrics = longGate(5*time.Minute, 15*time.Second) },
			[]string{`fail 0: gate slow cannot be judged within the rollout's time budget: its verdict waits for a window wholly after the rollout, 5m30s (range 5m0s + 2 scrapes of 15s), longer than spec.verify.rolloutTimeout 5m0s`}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rel := testRelease(t.TempDir())
			tc.edit(rel)
			r := runOffline(t, rel, goodDeployment)
			assertProblems(t, familyProblems(r, IDGuardrail), tc.want)
			if r.Blocking() != (len(tc.want) > 0 && tc.want[0][:4] == "fail") {
				t.Errorf("Blocking() = %v", r.Blocking())
			}
		})
	}
}

// longGate is metrics with one gate of lookback range, scraped every scrape.
func longGate(lookback, scrape time.Duration) *config.Metrics {
	max := 0.01
	m := &config.Metrics{Gates: []config.Gate{{Name: "slow", Query: "x", Max: &max, Lookback: config.Lookback{Total: lookback, Range: lookback}}}}
	m.Prometheus.ScrapeInterval.Duration = scrape
	return m
}

// TestReleaseLevelProblemsCarryTheReleaseFileLine checks that migration and
// guardrail problems point into the release file.
func TestReleaseLevelProblemsCarryTheReleaseFileLine(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kship.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: kship.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  namespace: shop
  source: {path: .}
  rollback: {method: auto}
  migrations:
  - job: migrate-up
    type: reversible
    down: undo
`), 0o644); err != nil {
		t.Fatal(err)
	}
	rel, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	r := runOffline(t, rel, migrationJobs)
	assertProblems(t, familyProblems(r, IDMigration), []string{`fail 11: migration 1 (job "migrate-up"): down Job "undo" is not in the bundle`})
	assertProblems(t, familyProblems(r, IDGuardrail), []string{`warn 4: unverifiable`})
	for _, c := range r.Checks {
		if c.ID == IDMigration && c.Source.File != file {
			t.Errorf("source %q, want the release file", c.Source)
		}
	}
}
