package validate_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/validate"
)

func writeDrill(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if content != "" {
		if err := os.WriteFile(filepath.Join(p, "evidence.json"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMigrations reads the drill evidence through evidence.ReadDrill, the
// reader kship passes validate, so it is an external test: evidence imports
// validate.
func TestMigrations(t *testing.T) {
	withWorkload := validate.MigrationJobs + "---\n" + validate.GoodDeployment
	cases := []struct {
		name       string
		doc        string
		migrations []config.Migration
		drill      string
		want       []string
	}{
		{"forward-only", validate.MigrationJobs, []config.Migration{{Job: "migrate-up", Type: "forward-only"}}, "", nil},
		{"missing job", validate.MigrationJobs, []config.Migration{{Job: "migrate-upp", Type: "forward-only"}},
			"", []string{`fail 0: migration 1 (job "migrate-upp"): no Job named "migrate-upp" in the bundle`}},
		{"reversible with down", validate.MigrationJobs, []config.Migration{{Job: "migrate-up", Type: "reversible", Down: "migrate-down"}}, "", nil},
		{"reversible without down", validate.MigrationJobs, []config.Migration{{Job: "migrate-up", Type: "reversible"}},
			"", []string{`fail 0: migration 1 (job "migrate-up") is reversible but names no down Job`}},
		{"reversible with missing down", validate.MigrationJobs, []config.Migration{{Job: "migrate-up", Type: "reversible", Down: "undo"}},
			"", []string{`fail 0: migration 1 (job "migrate-up"): down Job "undo" is not in the bundle`}},
		{"destructive alone", validate.MigrationJobs, []config.Migration{{Job: "migrate-up", Type: "destructive"}}, "", nil},
		{"destructive with workloads", withWorkload, []config.Migration{{Job: "migrate-up", Type: "destructive"}},
			"", []string{`fail 0: migration 1 (job "migrate-up") is destructive and ships with workloads (Deployment shop/web): run ` + "`kship rollback --drill`"}},
		{"destructive with missing drill folder", withWorkload, []config.Migration{{Job: "migrate-up", Type: "destructive"}},
			"drills/none", []string{`fail 0: migration 1 (job "migrate-up") is destructive: rollback drill evidence drills/none: no such folder`}},
		{"destructive with folder but no evidence", withWorkload, []config.Migration{{Job: "migrate-up", Type: "destructive"}},
			"drills/empty", []string{`no evidence.json in the folder`}},
		{"destructive with failed drill", withWorkload, []config.Migration{{Job: "migrate-up", Type: "destructive"}},
			"drills/failed", []string{`the rollback drill did not pass (verdict "failed")`}},
		{"destructive with a deploy record, not a drill", withWorkload, []config.Migration{{Job: "migrate-up", Type: "destructive"}},
			"drills/deploy", []string{`evidence.json is the record of a deploy, not of a rollback drill`}},
		{"destructive with another release's drill", withWorkload, []config.Migration{{Job: "migrate-up", Type: "destructive"}},
			"drills/other", []string{`the drill was of release "api", not "web"`}},
		{"destructive with passed drill", withWorkload, []config.Migration{{Job: "migrate-up", Type: "destructive"}}, "drills/passed", nil},
		{"unknown type", validate.MigrationJobs, []config.Migration{{Job: "migrate-up", Type: "sideways"}},
			"", []string{`fail 0: migration 1 (job "migrate-up"): unknown type "sideways"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rel := validate.TestRelease(t.TempDir())
			writeDrill(t, rel.Dir, "drills/empty", "")
			writeDrill(t, rel.Dir, "drills/failed", `{"kind":"drill","release":"web","verdict":"failed","drill":{"verdict":"failed"}}`)
			writeDrill(t, rel.Dir, "drills/deploy", `{"kind":"deploy","release":"web","verdict":"verified"}`)
			writeDrill(t, rel.Dir, "drills/other", `{"kind":"drill","release":"api","drill":{"verdict":"passed"}}`)
			writeDrill(t, rel.Dir, "drills/passed", `{"kind":"drill","release":"web","verdict":"verified","drill":{"verdict":"passed","fromRevision":3,"toRevision":2}}`)
			rel.Spec.Migrations = tc.migrations
			rel.Spec.Rollback.DrillEvidence = tc.drill
			r := validate.RunInput(t, validate.Input{Release: rel, Drills: evidence.ReadDrill}, tc.doc)
			validate.AssertProblems(t, validate.FamilyProblems(r, validate.IDMigration), tc.want)
		})
	}
}

// TestMigrationsWithoutDrillReader: a Run given no reader of drill evidence
// refuses a destructive migration that names some, rather than passing it.
func TestMigrationsWithoutDrillReader(t *testing.T) {
	rel := validate.TestRelease(t.TempDir())
	writeDrill(t, rel.Dir, "drills/passed", `{"kind":"drill","release":"web","verdict":"verified","drill":{"verdict":"passed"}}`)
	rel.Spec.Migrations = []config.Migration{{Job: "migrate-up", Type: "destructive"}}
	rel.Spec.Rollback.DrillEvidence = "drills/passed"
	r := validate.RunInput(t, validate.Input{Release: rel}, validate.MigrationJobs+"---\n"+validate.GoodDeployment)
	validate.AssertProblems(t, validate.FamilyProblems(r, validate.IDMigration), []string{`rollback drill evidence drills/passed: kship cannot read rollback drill evidence here`})
}
