package release

import (
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// Revision outcomes: record's, named here for callers of this package.
const (
	OutcomePending     = record.OutcomePending
	OutcomeDeployed    = record.OutcomeDeployed
	OutcomeFailed      = record.OutcomeFailed
	OutcomeRolledBack  = record.OutcomeRolledBack
	OutcomeSuperseded  = record.OutcomeSuperseded
	OutcomeInterrupted = record.OutcomeInterrupted
)

// nextNumber is the number of the next revision (revs newest first).
func nextNumber(revs []record.Revision) int {
	n := 0
	for _, r := range revs {
		if r.Number > n {
			n = r.Number
		}
	}
	return n + 1
}

// lastDeployed is the newest revision whose outcome is deployed, or nil.
func lastDeployed(revs []record.Revision) *record.Revision {
	for i := range revs {
		if revs[i].Outcome == OutcomeDeployed {
			return &revs[i]
		}
	}
	return nil
}

// restorable is the revision an automatic rollback of the next release
// restores: the last deployed one or, in a history that names none (left by
// an older kship whose failed rollback marked it failed), the newest one
// that was deployed and later replaced. nil only for a release that was
// never deployed.
func restorable(revs []record.Revision) *record.Revision {
	if rev := lastDeployed(revs); rev != nil {
		return rev
	}
	for i := range revs {
		if revs[i].Outcome == OutcomeSuperseded {
			return &revs[i]
		}
	}
	return nil
}

// liveObjects are the objects that may be live from earlier revisions: the
// last deployed revision's, plus those of every newer revision that did not
// end cleanly (interrupted, or failed without a verified rollback). A new
// revision prunes what it lacks of these.
func liveObjects(revs []record.Revision) []manifest.Object {
	var out []manifest.Object
	seen := map[manifest.Ref]bool{}
	for _, r := range revs {
		if r.Outcome == OutcomeRolledBack || r.Outcome == OutcomeSuperseded {
			continue
		}
		for _, o := range r.Objects {
			if !seen[o.Ref()] {
				seen[o.Ref()] = true
				out = append(out, o)
			}
		}
		if r.Outcome == OutcomeDeployed {
			break
		}
	}
	return out
}

// missing returns the objects of from whose Ref is not in in.
func missing(from, in []manifest.Object) []manifest.Object {
	have := make(map[manifest.Ref]bool, len(in))
	for _, o := range in {
		have[o.Ref()] = true
	}
	var out []manifest.Object
	for _, o := range from {
		if !have[o.Ref()] {
			out = append(out, o)
		}
	}
	return out
}

// refs returns the Refs of objs.
func refs(objs []manifest.Object) []manifest.Ref {
	out := make([]manifest.Ref, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.Ref())
	}
	return out
}

// downJobs are the names of the down Jobs of a release's reversible
// migrations.
func downJobs(rel *config.Release) map[string]bool {
	out := map[string]bool{}
	for _, m := range rel.Spec.Migrations {
		if m.Type == config.MigrationReversible && m.Down != "" {
			out[m.Down] = true
		}
	}
	return out
}

// withoutJobs drops the Jobs named in names: down Jobs are run only by a
// rollback, never by a rollout.
func withoutJobs(objs []manifest.Object, names map[string]bool) []manifest.Object {
	var out []manifest.Object
	for _, o := range objs {
		if o.Obj.GetKind() == "Job" && names[o.Obj.GetName()] {
			continue
		}
		out = append(out, o)
	}
	return out
}

// jobsNamed returns the Jobs of objs named in names.
func jobsNamed(objs []manifest.Object, names map[string]bool) []manifest.Object {
	var out []manifest.Object
	for _, o := range objs {
		if o.Obj.GetKind() == "Job" && names[o.Obj.GetName()] {
			out = append(out, o)
		}
	}
	return out
}

// migrationJobs are the names of every migration Job (up and down).
func migrationJobs(rel *config.Release) map[string]bool {
	out := map[string]bool{}
	for _, m := range rel.Spec.Migrations {
		out[m.Job] = true
		if m.Down != "" {
			out[m.Down] = true
		}
	}
	return out
}
