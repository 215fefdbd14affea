package release

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/apply"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollback"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/validate"
)

// RollbackOptions configure one `kship rollback NAME`.
type RollbackOptions struct {
	// Name is the release; Namespace its namespace.
	Name      string
	Namespace string
	// ToRevision is the revision to restore; 0 picks the newest earlier
	// revision that was deployed.
	ToRevision int
	// Drill rolls back, verifies, rolls forward again and verifies, and
	// records the drill as evidence (refused in production namespaces).
	Drill bool
	RunOptions
}

// Rollback restores an earlier revision of a release (or, with Drill, runs
// a rollback drill). Exit classes: verified 0, refused 2, failed 4,
// unverified 5.
func Rollback(ctx context.Context, o RollbackOptions) (*event.Outcome, error) {
	r := newRun(o.RunOptions)
	r.intr.stage = event.StageRollback // a first interrupt lets it go on, a second stops it
	ctx, stop := r.watchInterrupts(ctx)
	defer stop()
	return r.rollback(ctx, o)
}

func (r *run) rollback(ctx context.Context, o RollbackOptions) (*event.Outcome, error) {
	a := r.newAttempt(o.Namespace, o.Name)
	if o.Drill {
		if err := r.refuseProduction(ctx, o.Namespace); err != nil {
			return r.refusedOrErr(ctx, a, err)
		}
	}
	ctx, unlock, err := r.hold(ctx, a, r.lockAndRead)
	if err != nil {
		return r.refusedOrErr(ctx, a, err)
	}
	defer unlock()
	if len(a.revs) == 0 {
		return nil, fmt.Errorf("release %s/%s has no revisions: nothing to roll back", o.Namespace, o.Name)
	}
	if why := pausedRefusal(a.revs, "rollback"); why != "" {
		return r.refusedOrErr(ctx, a, &RefusedError{Reason: why})
	}
	from := &a.revs[0]
	target, err := rollback.Target(ctx, r.hist, a.revs, from, o.ToRevision)
	if err != nil {
		return nil, err
	}
	if target == nil && !o.Drill {
		if why := rollback.Refusal(a.revs, from); why != "" {
			return r.refusedOrErr(ctx, a, &RefusedError{Reason: why})
		}
	}
	mech, err := r.catalog.mechanism(rollback.ReleaseOf(from, nil), r.env())
	if err != nil {
		return r.refusedOrErr(ctx, a, err)
	}
	number := r.openRollback(a, from, target)
	if target == nil {
		r.originSteps(ctx, a, mech, from, rollback.ReleaseOf(from, nil), event.StageRollback)
	}
	x := r.rollbacks(mech, nil, nil)
	if o.Drill {
		a.to = from.Objects // a drill ends where it started
		d, rev, err := x.Drill(ctx, r.rollbackAttempt(a), from, target, number)
		if err != nil {
			return nil, err
		}
		a.drill, a.rev, a.saved = d, rev, rev != nil
		return r.finish(ctx, a, evidence.KindDrill)
	}
	a.rev = x.Manual(ctx, r.rollbackAttempt(a), from, target, number)
	a.saved = a.rev != nil
	return r.finish(ctx, a, evidence.KindRollback)
}

// openRollback sets up an attempt that rolls from back to target (nil:
// remove the release): its revision number and evidence folder, the
// redactor for both revisions' Secrets and the rollback steps. It returns
// the number.
func (r *run) openRollback(a *attempt, from, target *record.Revision) int {
	number := record.NextNumber(a.revs)
	a.out.Revision = number
	a.dir = evidence.Folder(r.evidenceRoot, a.out.Release, number, a.out.StartedAt)
	a.out.EvidenceDir = a.dir
	r.red.AddObjects(from.Objects, record.ObjectsOf(target), record.Live(a.revs))
	r.red.AddReleaseFile(from.ReleaseFile)
	if target != nil {
		r.red.AddReleaseFile(target.ReleaseFile)
	}
	a.steps = rollback.Steps(a.out.Namespace, a.out.Release, from, target, record.Live(a.revs), rollback.ReleaseOf(from, nil))
	a.from, a.to = from.Objects, record.ObjectsOf(target)
	return number
}

// originSteps completes the steps of an attempt whose revision from
// (deployed with rel) has no earlier kship revision with what ran before
// kship, when the mechanism keeps it (another client's Helm revision):
// rollback.md then says that the rollback restores it, as the rollback
// stage does, instead of listing every object to delete. A history that
// cannot be read is said under stage; the steps are left as they are.
func (r *run) originSteps(ctx context.Context, a *attempt, mech rollback.Restorer, from *record.Revision, rel *config.Release, stage event.Stage) {
	o, err := rollback.OriginOf(ctx, mech, rollout.Restore{Namespace: a.out.Namespace, From: from, FromRelease: rel, Live: record.Live(a.revs)})
	if err != nil {
		r.decide(stage, "rollback.md: %v; it lists the objects the rollback of revision %d would delete", err, from.Number)
		return
	}
	a.steps = rollback.OriginSteps(a.steps, o)
}

// refuseProduction refuses a drill in a namespace labelled production.
func (r *run) refuseProduction(ctx context.Context, ns string) error {
	n, err := apply.Namespace(ctx, r.clients, ns)
	if err != nil {
		return err
	}
	if n == nil {
		return fmt.Errorf("namespace %s does not exist", ns)
	}
	if why := validate.Production(ns, n.Labels); why != "" {
		return &RefusedError{Reason: why + ": a rollback drill runs only outside production"}
	}
	return nil
}

// rollbacks is the rollback stage of this run, restoring through mech and
// verifying restored revisions with the gates of gates (the release file a
// deploy started with; nil for kship rollback: each restored revision's
// own) against baseline (measured before the failed rollout, with those
// gates; nil for kship rollback).
func (r *run) rollbacks(mech rollback.Restorer, baseline map[string]gate.Measurement, gates *config.Release) *rollback.Runner {
	return &rollback.Runner{Mechanism: mech, History: r.hist, Check: &restoredCheck{r: r, baseline: baseline, gates: gates}, Env: r.env(),
		Holder: r.holder, Recorder: r.rec, Redactor: r.red, EvidenceRoot: r.evidenceRoot, StagerOf: r.stagerOf}
}

// stagerOf is the strategy rel names, when it has a part in rollbacks
// (blue-green: the restored color Available before the live Service
// switches to it).
func (r *run) stagerOf(rel *config.Release) rollback.Stager {
	_, name := seamNames(rel)
	build, ok := r.catalog.Strategies[name]
	if !ok {
		return nil
	}
	s, _ := build(r.env()).(rollback.Stager)
	return s
}

// rollbackAttempt is what the rollback stage completes of the attempt.
func (r *run) rollbackAttempt(a *attempt) rollback.Attempt {
	return rollback.Attempt{Out: a.out, Live: record.Live(a.revs), Dir: a.dir, Steps: a.steps}
}
