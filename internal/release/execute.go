package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollback"
	"github.com/kship/kship/internal/rollout"
)

// trigger is a reason to roll back: a detector failure, a timeout, a
// failed smoke check or gate, a failed apply.
type trigger struct {
	stage  event.Stage
	reason string
	// interrupt: the trigger is the end of the stage's context by an
	// interrupt, not a failure the stage found.
	interrupt bool
}

// execute runs Rollout → Verify → Stabilize for a prepared attempt under
// the lock, then records the result or rolls back.
func (r *run) execute(ctx context.Context, a *attempt) (*event.Outcome, error) {
	gates, err := r.gatesFor(a.rel)
	if err != nil {
		return nil, err
	}
	a.rev.Outcome = record.OutcomePending
	a.rev.Message = "being deployed by " + r.holder
	a.rev.By = r.holder
	if a.resume == nil {
		a.rev.ReleaseFile = a.rel.Raw // the bytes checked, not a second read
		a.rev.StartedAt = a.out.StartedAt
	} else {
		a.rev.Message = "being promoted by " + r.holder
	}
	a.rev.EvidenceDir = a.dir
	if in := r.firstInterrupt(); in != nil {
		return r.refusedOrErr(ctx, a, interruptedBeforeWrite(in))
	}
	if err := r.hist.Save(ctx, a.rev); err != nil {
		return nil, fmt.Errorf("record revision %d: %w", a.rev.Number, err)
	}
	a.saved = true
	a.out.Revision = a.rev.Number
	a.steps = rollback.Steps(a.out.Namespace, a.out.Release, a.rev, a.previous, record.Live(a.revs), a.rel)
	if a.previous == nil {
		r.originSteps(ctx, a, a.mechanism, a.rev, a.rel, event.StageRollout)
	}
	// The stages up to Stabilize run in a context the first interrupt
	// ends; the rollback, the settling and the records in ctx, which only
	// a second one (or the caller) ends.
	staged := r.interruptible(ctx)
	baseline := r.baseline(staged, a, gates)
	trig, paused := r.rollout(staged, a)
	rolledOut := r.now()
	var v verification
	rolled := trig == nil && paused == nil
	if rolled {
		v, trig = r.verifyAndStabilize(staged, a, gates, baseline, rolledOut)
	}
	trig = r.interruptPolicy(staged, a, trig, paused, &v)
	if rolled {
		r.settleStrategy(ctx, a, trig)
	}
	a.out.Checked = v.checked
	switch {
	case r.lockLost() != nil:
		// finish says so and records nothing.
	case ctx.Err() != nil:
		r.interrupted(ctx, a)
	case paused != nil:
		r.paused(a, paused)
	case trig == nil:
		r.succeed(ctx, a, v)
	default:
		a.out.Trigger = trig.reason
		r.decide(trig.stage, "rollback trigger: %s", trig.reason)
		r.rollbacks(a.mechanism, baseline, a.rel).AfterFailure(ctx, r.rollbackAttempt(a),
			rollback.Failure{Stage: trig.stage, Revision: a.rev, Release: a.rel, Previous: a.previous, Interrupted: trig.interrupt})
	}
	return r.finish(ctx, a, a.kind())
}

// interruptPolicy applies what a first interrupt does in the stage it came
// in (interrupt.go) to a trigger that the interrupt caused (or none): in
// Stabilize the new revision is left running, NOT verified (no trigger);
// before it the interrupt is the rollback trigger. A trigger of its own
// (a failure found before the interrupt) stands.
func (r *run) interruptPolicy(staged context.Context, a *attempt, trig *trigger, paused *rollout.Pause, v *verification) *trigger {
	in := r.firstInterrupt()
	if in == nil || paused != nil || staged.Err() == nil || (trig != nil && !trig.interrupt) {
		return trig
	}
	if in.Stage == event.StageStabilize {
		window := ""
		if w := a.rel.Spec.Stabilize.Window.Duration; w > 0 {
			window = fmt.Sprintf(" of the %s window", w)
		}
		v.stopped = fmt.Sprintf("%s after %s%s; the revision is left running", in, in.At.Sub(in.Since).Round(time.Second), window)
		v.checked = append(v.checked, "stabilize: "+v.stopped)
		return nil
	}
	return &trigger{stage: in.Stage, reason: in.String() + ": the interrupt is the rollback trigger", interrupt: true}
}

// settleStrategy lets a strategy that kept the previous revision's pods until
// Stabilize was over (a Settler) remove them after a success, or go back
// to them at once after a failure, before the rollback stage runs.
func (r *run) settleStrategy(ctx context.Context, a *attempt, trig *trigger) {
	s, ok := a.strategy.(Settler)
	if !ok || ctx.Err() != nil || r.lockLost() != nil {
		return
	}
	if trig == nil {
		if err := s.Settle(ctx, r.rolloutRun(a)); err != nil {
			r.decide(event.StageStabilize, "%v", err)
		}
		return
	}
	if err := s.Revert(ctx, r.rolloutRun(a), trig.reason); err != nil {
		r.decide(trig.stage, "%v", err)
	}
}

// baseline measures the gates just before the rollout starts, for
// maxIncrease gates, on the revision running now (its pods'
// pod-template-hash for {{.PodTemplateHash}}). A baseline that already
// breaks a gate's min or max is said as a decision: the new revision is
// judged only on windows after its rollout, so the current state's breach
// is not blamed on it.
func (r *run) baseline(ctx context.Context, a *attempt, gates evaluator) map[string]gate.Measurement {
	if gates == nil {
		return nil
	}
	previous := 0
	if a.previous != nil {
		previous = a.previous.Number
	}
	gates.SetVars(currentVars(ctx, r.clients, a.rel, previous, a.prep.Objects))
	base := gates.Baseline(ctx, a.rel.Spec.Verify.Metrics.Gates)
	for _, g := range a.rel.Spec.Verify.Metrics.Gates {
		if m, ok := base[g.Name]; ok && m.Warning != "" {
			r.decide(event.StagePrepare, "baseline warning: %s; the new revision is judged only on windows wholly after its rollout, so this is not blamed on it", m.Warning)
		}
	}
	return base
}

// succeed records a verified (or unverified) deploy.
func (r *run) succeed(ctx context.Context, a *attempt, v verification) {
	a.rev.Outcome = record.OutcomeDeployed
	a.out.Verdict = event.Verified
	a.out.Summary = fmt.Sprintf("revision %d is deployed and verified", a.rev.Number)
	if why := v.unverified(); why != "" {
		a.out.Verdict = event.Unverified
		a.out.Summary = fmt.Sprintf("revision %d is deployed but NOT verified: %s", a.rev.Number, why)
		a.rev.Unverified = true
	}
	a.rev.Message = a.out.Summary
	r.decide(event.StageStabilize, "verdict: %s", a.out.Verdict)
	if a.previous != nil {
		a.previous.Outcome = record.OutcomeSuperseded
		a.previous.Message = fmt.Sprintf("superseded by revision %d", a.rev.Number)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), record.DefaultSaveWithin+30*time.Second)
		defer cancel()
		if err := r.hist.SaveRetrying(sctx, a.previous, record.DefaultSaveWithin, r.retrying(event.StageStabilize, a.previous)); err != nil {
			r.emit(event.StageStabilize, event.TypeLog, "", fmt.Sprintf("mark revision %d superseded: %v", a.previous.Number, err), nil)
		}
	}
}

// paused records a revision its strategy stopped part way for a human:
// nothing is rolled back, the previous revision stays the deployed one.
func (r *run) paused(a *attempt, p *rollout.Pause) {
	a.rev.Outcome, a.rev.Pause = record.OutcomePaused, p
	a.out.Verdict = event.Paused
	prev := "the release has no deployed revision yet"
	if a.previous != nil {
		prev = fmt.Sprintf("revision %d stays the deployed one", a.previous.Number)
	}
	a.out.Summary = fmt.Sprintf("revision %d is paused at step %d of %d: %s; %s. Continue with `kship promote %s -n %s`, or roll back with `kship abort %s -n %s`",
		a.rev.Number, p.Step, p.Steps, p.Message, prev, a.out.Release, a.out.Namespace, a.out.Release, a.out.Namespace)
	a.rev.Message = a.out.Summary
	r.decide(event.StageRollout, "verdict: %s", a.out.Verdict)
}

// interrupted records that the run's context ended mid-release before a
// rollback could start (a second interrupt, or the caller cancelling):
// the run did not finish, nothing was rolled back and a human decides
// (exit 4, incomplete).
func (r *run) interrupted(ctx context.Context, a *attempt) {
	stage, _ := r.intr.current()
	a.rev.Outcome = record.OutcomeInterrupted
	a.rev.Message = fmt.Sprintf("interrupted during %s: %v; nothing was rolled back, the cluster runs what revision %d's %s had reached", stage, context.Cause(ctx), a.rev.Number, stage)
	a.out.Verdict = event.Incomplete
	a.out.Summary = fmt.Sprintf("revision %d was interrupted during %s before it was verified (%v); nothing was rolled back", a.rev.Number, stage, context.Cause(ctx))
	a.out.ManualSteps = a.steps.Command
	r.decide(stage, "%s", a.out.Summary)
}

// finish completes the Outcome, writes the evidence bundle and records
// the result with the revision, retrying across a short API-server outage
// (record.DefaultSaveWithin). What it returns is what is printed, what the
// process exits with and what evidence.json says: when the result could
// not be recorded, the verdict becomes Incomplete (exit 4) in all three.
func (r *run) finish(ctx context.Context, a *attempt, kind string) (*event.Outcome, error) {
	if lost := r.lockLost(); lost != nil {
		r.lostLock(a, lost)
	}
	a.out.FinishedAt = r.now()
	a.out.ExitCode = a.out.Verdict.ExitCode()
	*a.out = r.red.Outcome(*a.out) // what is printed, embedded in evidence.json and returned
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), record.DefaultSaveWithin+30*time.Second)
	defer cancel()
	r.writeEvidence(kind, a)
	if !a.saved {
		return a.out, nil
	}
	a.rev.FinishedAt = a.out.FinishedAt
	err := r.hist.SaveRetrying(ctx, a.rev, record.DefaultSaveWithin, r.retrying(event.StageStabilize, a.rev))
	var prune *record.PruneError
	switch {
	case errors.As(err, &prune):
		r.emit(event.StageStabilize, event.TypeLog, "", fmt.Sprintf("revision %d recorded; %v", a.rev.Number, err), nil)
	case err != nil:
		r.notRecorded(a, err)
		r.writeEvidence(kind, a)
	}
	return a.out, nil
}

// notRecorded turns an outcome whose revision could not be recorded into
// Incomplete: the cluster still says the revision is pending, so the run
// did not finish, whatever it measured.
func (r *run) notRecorded(a *attempt, err error) {
	was := a.out.Verdict
	a.out.Verdict = event.Incomplete
	a.out.ExitCode = event.Incomplete.ExitCode()
	a.out.Summary = r.red.String(fmt.Sprintf("%s — but this result (%s) could NOT be recorded in the cluster: %v; "+
		"revision %d stays recorded as %s there, and the next kship deploy or rollback marks it interrupted",
		a.out.Summary, was, err, a.rev.Number, record.OutcomePending))
	a.out.FinishedAt = r.now()
	r.decide(event.StageStabilize, "record revision %d: %v", a.rev.Number, err)
}

// writeEvidence writes the attempt's bundle and keeps its digest for the
// revision; a bundle that cannot be written is said in the summary (the
// verdict stands and is recorded with the revision).
func (r *run) writeEvidence(kind string, a *attempt) {
	if a.out.EvidenceDir == "" {
		return
	}
	digest, err := evidence.Write(a.out.EvidenceDir, r.bundle(kind, a), r.red)
	switch {
	case err != nil:
		r.emit(event.StageStabilize, event.TypeLog, "", "write the evidence bundle: "+err.Error(), nil)
		if !strings.Contains(a.out.Summary, "the evidence bundle could NOT be written") {
			a.out.Summary += "; the evidence bundle could NOT be written: " + err.Error()
		}
	case a.rev != nil:
		a.rev.EvidenceDigest = digest
	}
}

// retrying says in the stream that a save of rev will be tried again.
func (r *run) retrying(stage event.Stage, rev *record.Revision) func(error, time.Duration) {
	return func(err error, next time.Duration) {
		r.emit(stage, event.TypeLog, "", fmt.Sprintf("record revision %d: %v; trying again in %s", rev.Number, err, next), nil)
	}
}

// bundle builds the evidence bundle of an attempt from the recorded events.
func (r *run) bundle(kind string, a *attempt) *evidence.Bundle {
	return &evidence.Bundle{Kind: kind, Outcome: *a.out, Rollback: a.steps, Drill: a.drill, Provenance: r.provenance(a),
		Events: r.rec.Events()}
}
