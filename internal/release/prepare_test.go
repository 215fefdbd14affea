package release

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/validate"
)

// TestPrepareOffline runs Prepare with no cluster on the acceptance bundle
// (the CRD of its custom resource is unknown offline): the offline checks still find the
// unknown field and the removed API version, every file is written, and
// the dry-run is reported as not run.
func TestPrepareOffline(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	file := CopyFixture(t, "acceptance-bad", map[string]string{"__NS__": "shop", "__INGRESS__": "127.0.0.1:8080", "__NEWNS__": "fresh", "__GROUP__": "example.com", "__KIND__": "Widget"})
	p, err := Prepare(context.Background(), PrepareOptions{ReleaseFile: file,
		Offline: true, EvidenceDir: dir, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Report.Blocking() {
		t.Error("report does not block")
	}
	want := filepath.Join(dir, "acceptance-bad", "plan-20261126T010000Z")
	if p.EvidenceDir != want || len(p.Files) != 6 {
		t.Errorf("wrote %v into %s, want 6 files in %s", p.Files, p.EvidenceDir, want)
	}
	found := map[string]bool{}
	for _, c := range p.Report.Checks {
		if c.Status == validate.Fail {
			found[c.ID+" "+c.Source.File] = true
		}
		if c.ID == validate.IDDryRun && c.Status != validate.Warn {
			t.Errorf("offline dry-run item %s, want warn", c.Status)
		}
	}
	for _, k := range []string{"schema deploy/unknown-field.yaml", "api-version deploy/old-api.yaml"} {
		if !found[k] {
			t.Errorf("no failure %q in %v", k, found)
		}
	}
	for _, f := range p.Files {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
}

func TestPrepareBadInput(t *testing.T) {
	for name, file := range map[string]string{"missing file": "testdata/nope.yaml", "not a release file": "testdata/acceptance-bad/deploy/widget.yaml"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Prepare(context.Background(), PrepareOptions{ReleaseFile: file, Offline: true, EvidenceDir: dir})
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), filepath.Base(file)) {
				t.Errorf("error %v, want an InputError naming %s", err, file)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("bad input wrote %d entries into the evidence folder", len(entries))
			}
		})
	}
}

func TestPlanOnlyNeedsACluster(t *testing.T) {
	_, err := PlanOnly(context.Background(), PrepareOptions{ReleaseFile: "testdata/acceptance-bad/kship.yaml", Offline: true})
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Errorf("error %v, want an InputError", err)
	}
}

// TestPrepareReadsDrillEvidence: Prepare hands validate the reader of
// evidence folders, so a destructive migration shipped with workloads passes
// with a passed drill's evidence folder and is refused with a failed one's.
func TestPrepareReadsDrillEvidence(t *testing.T) {
	for verdict, wantFail := range map[string]bool{evidence.DrillPassed: false, evidence.DrillFailed: true} {
		t.Run(verdict, func(t *testing.T) {
			file := CopyFixture(t, "acceptance-clean", map[string]string{"__NS__": "shop", "__INGRESS__": "127.0.0.1:8080"})
			dir := filepath.Dir(file)
			drill := &evidence.Bundle{Kind: evidence.KindDrill, Outcome: event.Outcome{Release: "acceptance-clean"}, Drill: &evidence.Drill{Verdict: verdict}}
			if _, err := evidence.Write(filepath.Join(dir, "drill"), drill, evidence.NewRedactor()); err != nil {
				t.Fatal(err)
			}
			job := "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: \"migrate:1\"}]\n"
			if err := os.WriteFile(filepath.Join(dir, "deploy", "migrate.yaml"), []byte(job), 0o644); err != nil {
				t.Fatal(err)
			}
			rel, _ := os.ReadFile(file)
			rel = append(rel, "  rollback: {method: auto, drillEvidence: drill}\n  migrations: [{job: migrate, type: destructive}]\n"...)
			if err := os.WriteFile(file, rel, 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := Prepare(context.Background(), PrepareOptions{ReleaseFile: file, Offline: true, EvidenceDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			var fails []string
			for _, c := range p.Report.Checks {
				if c.ID == validate.IDMigration && c.Status == validate.Fail {
					fails = append(fails, c.Message)
				}
			}
			if got := len(fails) > 0; got != wantFail || (wantFail && !strings.Contains(fails[0], `did not pass (verdict "failed")`)) {
				t.Errorf("migration failures %q, want failing %v", fails, wantFail)
			}
		})
	}
}
