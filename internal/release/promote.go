package release

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollback"
)

// ContinueOptions configure `kship promote NAME` and `kship abort NAME`:
// what continues a revision its strategy paused.
type ContinueOptions struct {
	Name      string
	Namespace string
	RunOptions
}

// Promote continues a paused revision under the lock: its strategy runs
// the steps after the pause and promotes, then Verify and Stabilize run as
// for a deploy, and any failure rolls back to the previous revision. The
// verdicts are a deploy's (a further pause is paused again).
func Promote(ctx context.Context, o ContinueOptions) (*event.Outcome, error) {
	r := newRun(o.RunOptions)
	ctx, stop := r.watchInterrupts(ctx)
	defer stop()
	return r.continuePaused(ctx, o, false)
}

// Abort rolls a paused revision back under the lock: its strategy removes
// what it ran beside the previous revision (the canary), then the previous
// revision is restored and verified as after any failed rollout (exit 3
// when the rollback is verified, 4 when it failed).
func Abort(ctx context.Context, o ContinueOptions) (*event.Outcome, error) {
	r := newRun(o.RunOptions)
	r.intr.stage = event.StageRollback // an abort is a rollback from its start
	ctx, stop := r.watchInterrupts(ctx)
	defer stop()
	return r.continuePaused(ctx, o, true)
}

func (r *run) continuePaused(ctx context.Context, o ContinueOptions, abort bool) (*event.Outcome, error) {
	a := r.newAttempt(o.Namespace, o.Name)
	ctx, unlock, err := r.hold(ctx, a, r.lockAndRead)
	if err != nil {
		return r.refusedOrErr(ctx, a, err)
	}
	defer unlock()
	verb := "promote"
	if abort {
		verb = "abort"
	}
	res, err := r.openPaused(a, verb)
	if err != nil {
		return r.refusedOrErr(ctx, a, err)
	}
	if abort {
		return r.abandon(ctx, a, res)
	}
	a.resume = a.rev.Pause
	r.decide(event.StageRollout, "%s: revision %d resumes after step %d of %d (%s)", verb, a.rev.Number, a.resume.Step, a.resume.Steps, a.resume.Message)
	return r.execute(ctx, a)
}

// openPaused sets the attempt up on the release's paused revision: its
// release file, objects, mechanism and strategy, and its own evidence
// folder. Anything else is a refusal that names the state.
func (r *run) openPaused(a *attempt, verb string) (Resumer, error) {
	ns, name := a.out.Namespace, a.out.Release
	if len(a.revs) == 0 {
		return nil, &RefusedError{Reason: fmt.Sprintf("release %s/%s has no revisions: nothing to %s", ns, name, verb)}
	}
	rev := &a.revs[0]
	if rev.Outcome != record.OutcomePaused || rev.Pause == nil {
		return nil, &RefusedError{Reason: fmt.Sprintf("release %s/%s is not paused (its latest revision %d is %s): nothing to %s; kship %s continues only a revision a pause step stopped",
			ns, name, rev.Number, rev.Outcome, verb, verb)}
	}
	rel, err := config.ParseStored(fmt.Sprintf("release file of revision %d", rev.Number), rev.ReleaseFile)
	if err != nil {
		return nil, fmt.Errorf("release %s/%s: %w", ns, name, err)
	}
	r.red.AddRelease(rel)
	r.red.AddObjects(rev.Objects, record.Live(a.revs), record.ObjectsOf(a.previous))
	if a.previous != nil {
		r.red.AddReleaseFile(a.previous.ReleaseFile)
	}
	mech, strat, err := r.catalog.seams(rel, r.env())
	if err != nil {
		return nil, err
	}
	res, ok := strat.(Resumer)
	if !ok {
		return nil, &RefusedError{Reason: fmt.Sprintf("strategy %s cannot %s a paused revision in this build; nothing was changed", rel.Spec.Strategy.Type, verb)}
	}
	a.rel, a.rev, a.mechanism, a.strategy = rel, rev, mech, strat
	a.prep = &Prepared{Release: rel, Objects: rev.Objects}
	a.out.Revision = rev.Number
	a.dir = evidence.Folder(r.evidenceRoot, name, rev.Number, a.out.StartedAt)
	a.out.EvidenceDir = a.dir
	return res, nil
}

// abandon is kship abort: the strategy removes what it runs beside the
// previous revision, then the rollback stage restores the previous
// revision and verifies it. When the removal fails nothing else is
// changed and the revision stays paused, so the abort can be run again.
func (r *run) abandon(ctx context.Context, a *attempt, res Resumer) (*event.Outcome, error) {
	p := *a.rev.Pause
	a.steps = rollback.Steps(a.out.Namespace, a.out.Release, a.rev, a.previous, record.Live(a.revs), a.rel)
	a.out.Trigger = fmt.Sprintf("aborted by %s (kship abort) while paused at step %d of %d: %s", r.holder, p.Step, p.Steps, p.Message)
	done := r.begin(event.StageRollout, fmt.Sprintf("abort revision %d, paused at step %d of %d", a.rev.Number, p.Step, p.Steps))
	if err := res.Abandon(ctx, r.rolloutRun(a), p); err != nil {
		done("abort failed")
		a.out.Verdict = event.RollbackFailed
		a.out.Summary = fmt.Sprintf("revision %d stays paused: the abort could not remove what the strategy runs beside revision %s: %v; run kship abort again, or remove it by hand",
			a.rev.Number, previousName(a.previous), err)
		a.out.ManualSteps = rollback.ManualSteps(a.dir, a.steps)
		return r.finish(ctx, a, evidence.KindAbort)
	}
	done("removed what the strategy ran beside the previous revision")
	a.rev.Outcome, a.rev.Message, a.rev.By, a.rev.EvidenceDir = record.OutcomePending, "being aborted by "+r.holder, r.holder, a.dir
	if err := r.hist.Save(ctx, a.rev); err != nil {
		return nil, fmt.Errorf("record revision %d: %w", a.rev.Number, err)
	}
	a.saved = true
	r.decide(event.StageRollout, "rollback trigger: %s", a.out.Trigger)
	r.rollbacks(a.mechanism, nil, nil).AfterFailure(ctx, r.rollbackAttempt(a),
		rollback.Failure{Stage: event.StageRollout, Revision: a.rev, Release: a.rel, Previous: a.previous})
	return r.finish(ctx, a, evidence.KindAbort)
}

func previousName(prev *record.Revision) string {
	if prev == nil {
		return "(none: first release)"
	}
	return fmt.Sprint(prev.Number)
}

// pausedRefusal refuses a deploy or rollback while the release's latest
// revision is paused: it is continued or rolled back by kship promote or
// kship abort, which know what the strategy runs beside it ("" when not
// paused).
func pausedRefusal(revs []record.Revision, verb string) string {
	if len(revs) == 0 || revs[0].Outcome != record.OutcomePaused {
		return ""
	}
	rev := &revs[0]
	where := ""
	if p := rev.Pause; p != nil {
		where = fmt.Sprintf(" at step %d of %d (%s)", p.Step, p.Steps, p.Message)
	}
	return fmt.Sprintf("revision %d of %s/%s is paused%s: kship %s would leave what runs beside it; first run `kship promote %s -n %s` to finish it, or `kship abort %s -n %s` to roll it back; nothing was applied",
		rev.Number, rev.Namespace, rev.Release, where, verb, rev.Release, rev.Namespace, rev.Release, rev.Namespace)
}
