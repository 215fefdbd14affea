package validate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kship/kship/internal/config"
)

// DrillRecord is what the destructive-migration guardrail needs to know of
// the evidence folder spec.rollback.drillEvidence names.
type DrillRecord struct {
	// Kind is the kind of attempt the folder records ("drill" for a
	// rollback drill, "deploy", ...).
	Kind string
	// Release is the release the attempt was of; empty when not recorded.
	Release string
	// Drilled says the folder holds a drill's result; Verdict is that
	// result's verdict ("passed" or "failed").
	Drilled bool
	Verdict string
}

// DrillReader reads the record of the attempt an evidence folder holds
// (evidence.ReadDrill is the one kship uses). An error wrapping
// fs.ErrNotExist says the folder holds no evidence file.
type DrillReader func(dir string) (DrillRecord, error)

// checkMigrations checks the migration plan: each migration names a Job of
// the bundle, a reversible one names its down Job, and a destructive one
// shipped with workloads needs rollback-drill evidence.
func (r *run) checkMigrations() {
	start := len(r.report.Checks)
	if r.in.Release == nil || len(r.in.Release.Spec.Migrations) == 0 {
		r.summarize(IDMigration, start, "no migrations declared")
		return
	}
	jobs := r.bundleJobs()
	r.evidence = "spec.migrations of the release file against the Jobs of the bundle"
	defer func() { r.evidence = "" }()
	for i, m := range r.in.Release.Spec.Migrations {
		r.checkMigration(i, m, jobs)
	}
	r.summarize(IDMigration, start, "%s checked: %s", plural(len(r.in.Release.Spec.Migrations), "migration"), migrationSummary(r.in.Release.Spec.Migrations))
}

func migrationSummary(ms []config.Migration) string {
	var parts []string
	for _, m := range ms {
		s := fmt.Sprintf("%s (%s)", m.Job, m.Type)
		if m.Down != "" {
			s += ", down " + m.Down
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// bundleJobs indexes the bundle's Jobs by name.
func (r *run) bundleJobs() map[string]*object {
	out := map[string]*object{}
	for i := range r.objs {
		o := &r.objs[i]
		if o.ref.Group == "batch" && o.ref.Kind == "Job" {
			out[o.ref.Name] = o
		}
	}
	return out
}

func (r *run) checkMigration(i int, m config.Migration, jobs map[string]*object) {
	label := fmt.Sprintf("migration %d (job %q)", i+1, m.Job)
	at := keys("spec", "migrations").with("", i)
	job := jobs[m.Job]
	if job == nil {
		r.fail(IDMigration, nil, at.with("job", 0), "%s: no Job named %q in the bundle: add it, or fix the name in spec.migrations", label, m.Job)
	}
	switch m.Type {
	case config.MigrationForwardOnly:
	case config.MigrationReversible:
		switch {
		case m.Down == "":
			r.fail(IDMigration, nil, at.with("type", 0), "%s is reversible but names no down Job: set down to the Job that reverses it", label)
		case jobs[m.Down] == nil:
			r.fail(IDMigration, nil, at.with("down", 0), "%s: down Job %q is not in the bundle: add it so a rollback can run it", label, m.Down)
		}
	case config.MigrationDestructive:
		r.checkDestructive(label, at)
	default:
		r.fail(IDMigration, nil, at.with("type", 0), "%s: unknown type %q: use forward-only, reversible or destructive", label, m.Type)
	}
}

// checkDestructive refuses a destructive migration shipped together with
// workloads unless a passed rollback drill is on record.
func (r *run) checkDestructive(label string, at fieldPath) {
	workloads := r.workloadNames()
	if len(workloads) == 0 {
		return
	}
	dir := r.in.Release.Spec.Rollback.DrillEvidence
	if dir == "" {
		r.fail(IDMigration, nil, at.with("type", 0), "%s is destructive and ships with workloads (%s): run `kship rollback --drill` in a non-production cluster and set spec.rollback.drillEvidence to its evidence folder, or ship the migration in a release of its own",
			label, strings.Join(workloads, ", "))
		return
	}
	if err := r.verifyDrill(dir); err != nil {
		r.fail(IDMigration, nil, keys("spec", "rollback", "drillEvidence"), "%s is destructive: rollback drill evidence %s: %v", label, dir, err)
	}
}

// verifyDrill checks that dir holds an evidence.json of a passed drill.
func (r *run) verifyDrill(dir string) error {
	if !filepath.IsAbs(dir) && r.in.Release.Dir != "" {
		dir = filepath.Join(r.in.Release.Dir, dir)
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("no such folder")
	}
	if r.in.Drills == nil {
		return fmt.Errorf("kship cannot read rollback drill evidence here")
	}
	rec, err := r.in.Drills(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no evidence.json in the folder")
	}
	if err != nil {
		return err
	}
	if rec.Kind != "drill" || !rec.Drilled {
		return fmt.Errorf("evidence.json is the record of a %s, not of a rollback drill", orUnknown(rec.Kind))
	}
	if rec.Verdict != "passed" {
		return fmt.Errorf("the rollback drill did not pass (verdict %q)", rec.Verdict)
	}
	if rec.Release != "" && rec.Release != r.in.Release.Metadata.Name {
		return fmt.Errorf("the drill was of release %q, not %q", rec.Release, r.in.Release.Metadata.Name)
	}
	return nil
}

// workloadNames lists the long-running workloads of the bundle.
func (r *run) workloadNames() []string {
	var out []string
	for i := range r.objs {
		o := &r.objs[i]
		if replicated(o.ref.Group, o.ref.Kind) || (o.ref.Group == "apps" && o.ref.Kind == "DaemonSet") ||
			(o.ref.Group == "" && o.ref.Kind == "Pod") || (o.ref.Group == "batch" && o.ref.Kind == "CronJob") {
			out = append(out, o.ref.String())
		}
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown kind"
	}
	return s
}
