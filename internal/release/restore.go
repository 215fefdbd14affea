package release

import (
	"context"
	"fmt"
	"time"

	"github.com/kship/kship/internal/apply"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// restoreInput says what a rollback restores.
type restoreInput struct {
	ns, name string
	// from is the revision being rolled back (its objects are live).
	from    *record.Revision
	fromRel *config.Release
	// target is the revision to restore; nil removes the release.
	target *record.Revision
	// live are all objects that may be live now (from and any earlier
	// revisions that did not end cleanly).
	live     []manifest.Object
	baseline map[string]gate.Measurement
	// number is the revision number the rollback is recorded as.
	number int
	dir    string
	// skipDown leaves the down Jobs of from's migrations alone (a drill's
	// roll-forward restores a revision, it does not undo one).
	skipDown bool
	// rerun deletes the target's completed migration Jobs and runs them
	// again (a drill's roll-forward redoes what the down Jobs undid).
	rerun bool
	// started is when the rollback began.
	started time.Time
}

// restoreResult is what a rollback did.
type restoreResult struct {
	// revision is the rollback revision, recorded before the first write
	// and updated with the result (nil when the release was removed).
	revision *record.Revision
	checked  []string
	// unverified says why a restored revision that is applied and ready
	// was not verified: its gates stayed inconclusive ("" when verified,
	// or when the rollback failed).
	unverified string
	err        error
}

// restore rolls a release back: down Jobs of reversible migrations, then
// re-apply the target's manifests exactly (forcing conflicts: kship owns
// them), delete what the target lacks, wait with the detector, re-run the
// target's smoke checks and gates, and record the result as a revision.
func (r *run) restore(ctx context.Context, in restoreInput) restoreResult {
	what := "remove the release (it has no previous revision)"
	if in.target != nil {
		what = fmt.Sprintf("restore revision %d", in.target.Number)
	}
	done := r.begin(event.StageRollback, fmt.Sprintf("roll %s back from revision %d: %s", in.name, in.from.Number, what))
	in.started = r.now()
	rev, err := r.openRestore(ctx, in)
	if err != nil {
		r.decide(event.StageRollback, "rollback not started: %v", err)
		done("rollback failed")
		return restoreResult{err: err}
	}
	res := r.restoreSteps(ctx, in)
	res.revision = rev
	r.closeRestore(ctx, in, &res)
	switch {
	case res.err != nil:
		r.decide(event.StageRollback, "rollback failed: %v", res.err)
		done("rollback failed")
	case res.unverified != "":
		r.decide(event.StageRollback, "rollback applied and ready, NOT verified: %s", res.unverified)
		done("rollback not verified")
	default:
		done("rollback verified")
	}
	return res
}

// openRestore records the rollback as a pending revision before its first
// write, so that a run killed mid-rollback leaves a record saying what it
// was doing. Removing a release records nothing new: the revision it
// removes stays pending until the removal ends.
func (r *run) openRestore(ctx context.Context, in restoreInput) (*record.Revision, error) {
	if in.target == nil {
		return nil, nil
	}
	rev := &record.Revision{
		Release: in.name, Namespace: in.ns, Number: in.number, Objects: in.target.Objects,
		ReleaseFile: in.target.ReleaseFile, Outcome: OutcomePending, RollbackOf: in.from.Number, By: r.holder,
		Message:     fmt.Sprintf("rolling back revision %d to revision %d", in.from.Number, in.target.Number),
		EvidenceDir: in.dir, StartedAt: in.started,
	}
	if err := r.hist.Save(ctx, rev); err != nil {
		return nil, fmt.Errorf("record rollback revision %d before its first write: %w (nothing was changed)", in.number, err)
	}
	return rev, nil
}

// closeRestore records how the rollback ended. A rollback whose restored
// revision is applied and ready is the deployed revision, verified or not:
// the history always names what runs, so a later rollback restores it rather
// than deleting the release. A rollback that failed leaves the revision it
// rolled back from as the deployed one.
func (r *run) closeRestore(ctx context.Context, in restoreInput, res *restoreResult) {
	rev := res.revision
	if rev == nil {
		return
	}
	rev.FinishedAt = r.now()
	rev.Outcome, rev.Message = OutcomeDeployed, fmt.Sprintf("rollback of revision %d to revision %d", in.from.Number, in.target.Number)
	switch {
	case res.err != nil:
		rev.Outcome, rev.Message = OutcomeFailed, fmt.Sprintf("rollback of revision %d to revision %d failed: %v", in.from.Number, in.target.Number, res.err)
	case res.unverified != "":
		rev.Unverified = true
		rev.Message += ", NOT verified: " + res.unverified
	}
	sctx, cancel := detached(ctx)
	defer cancel()
	if err := r.hist.Save(sctx, rev); err != nil {
		if res.err == nil {
			res.err = fmt.Errorf("record rollback revision %d: %w", in.number, err)
		}
		return
	}
	if res.err == nil && in.target.Outcome == OutcomeDeployed {
		in.target.Outcome, in.target.Message = OutcomeSuperseded, fmt.Sprintf("superseded by rollback revision %d", in.number)
		if err := r.hist.Save(sctx, in.target); err != nil {
			r.emit(event.StageRollback, event.TypeLog, "", fmt.Sprintf("mark revision %d superseded: %v", in.target.Number, err), nil)
		}
	}
}

func (r *run) restoreSteps(ctx context.Context, in restoreInput) restoreResult {
	if !in.skipDown {
		if err := r.runDownJobs(ctx, in); err != nil {
			return restoreResult{err: err}
		}
	}
	if in.target == nil {
		return restoreResult{err: r.removeAll(ctx, without(in.live, in.from.Adopted)), checked: []string{"every object the release created deleted"}}
	}
	rel := releaseOf(in.target, in.fromRel)
	objs, opts := withoutJobs(in.target.Objects, migrationJobs(rel)), apply.Options{}
	if in.rerun && len(rel.Spec.Migrations) > 0 {
		if err := r.resetMigrations(ctx, in.target, rel); err != nil {
			return restoreResult{err: err}
		}
		objs, opts = withoutJobs(in.target.Objects, downJobs(rel)), apply.Options{Migrations: rel.Spec.Migrations}
	}
	cs, err := r.reapply.Apply(ctx, objs, opts)
	r.decide(event.StageRollback, "re-applied revision %d: %s", in.target.Number, cs.Summary())
	if err != nil {
		return restoreResult{err: fmt.Errorf("re-apply revision %d: %w", in.target.Number, err)}
	}
	if added := without(missing(in.live, in.target.Objects), in.from.Adopted); len(added) > 0 {
		cs, err := r.reapply.Prune(ctx, added)
		r.decide(event.StageRollback, "deleted %d objects revision %d lacks: %s", len(added), in.target.Number, cs.Summary())
		if err != nil {
			return restoreResult{err: fmt.Errorf("delete objects revision %d lacks: %w", in.target.Number, err)}
		}
	}
	if err := r.waitReady(ctx, event.StageRollback, rel, in.ns, objs); err != nil {
		return restoreResult{err: fmt.Errorf("restored revision %d is not ready: %w", in.target.Number, err)}
	}
	return r.verifyRestored(ctx, in, rel)
}

// verifyRestored re-runs the target's smoke checks and gates on the
// restored revision. A failed check fails the rollback; gates still
// inconclusive at the end leave it applied but unverified.
func (r *run) verifyRestored(ctx context.Context, in restoreInput, rel *config.Release) restoreResult {
	gates, err := r.gatesFor(rel)
	if err != nil {
		return restoreResult{err: err}
	}
	v := verification{pending: map[string]string{}}
	trig := r.settle(ctx, rel, in.ns, gates, in.baseline, &v)
	checked := append([]string{fmt.Sprintf("restored revision %d: all objects ready", in.target.Number)}, v.checked...)
	if trig != nil {
		return restoreResult{checked: checked, err: fmt.Errorf("restored revision %d failed verification: %s", in.target.Number, trig.reason)}
	}
	return restoreResult{checked: checked, unverified: v.inconclusive()}
}

// runDownJobs runs the down Jobs of from's reversible migrations to
// completion.
func (r *run) runDownJobs(ctx context.Context, in restoreInput) error {
	names := downJobs(in.fromRel)
	jobs := jobsNamed(in.from.Objects, names)
	if len(jobs) == 0 {
		return nil
	}
	var migs []config.Migration
	for _, j := range jobs {
		migs = append(migs, config.Migration{Job: j.Obj.GetName(), Type: config.MigrationForwardOnly})
	}
	cs, err := r.reapply.Apply(ctx, jobs, apply.Options{Migrations: migs})
	r.decide(event.StageRollback, "ran %d down migration Jobs: %s", len(jobs), cs.Summary())
	if err != nil {
		return fmt.Errorf("down migration failed: %w", err)
	}
	return nil
}

// resetMigrations deletes the target's completed up migration Jobs and its
// down Jobs, so the roll-forward runs the migrations again.
func (r *run) resetMigrations(ctx context.Context, target *record.Revision, rel *config.Release) error {
	jobs := jobsNamed(target.Objects, migrationJobs(rel))
	if len(jobs) == 0 {
		return nil
	}
	if _, err := r.reapply.Prune(ctx, jobs); err != nil {
		return fmt.Errorf("delete completed migration Jobs before running them again: %w", err)
	}
	return nil
}

// removeAll deletes every object of a release that had no previous
// revision, in reverse apply order.
func (r *run) removeAll(ctx context.Context, live []manifest.Object) error {
	objs := make([]manifest.Object, len(live))
	for i, o := range live {
		objs[len(live)-1-i] = o
	}
	cs, err := r.reapply.Prune(ctx, objs)
	r.decide(event.StageRollback, "deleted the release's %d objects: %s", len(objs), cs.Summary())
	if err != nil {
		return fmt.Errorf("delete the release's objects: %w", err)
	}
	return nil
}

// without returns objs less those named in refs.
func without(objs []manifest.Object, refs []manifest.Ref) []manifest.Object {
	if len(refs) == 0 {
		return objs
	}
	skip := map[manifest.Ref]bool{}
	for _, r := range refs {
		skip[r] = true
	}
	var out []manifest.Object
	for _, o := range objs {
		if !skip[o.Ref()] {
			out = append(out, o)
		}
	}
	return out
}

// union returns the objects of a followed by those of b not in a.
func union(a, b []manifest.Object) []manifest.Object {
	return append(append([]manifest.Object(nil), a...), missing(b, a)...)
}
