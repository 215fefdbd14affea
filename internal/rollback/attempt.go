package rollback

import (
	"context"
	"fmt"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// Attempt is the deploy or `kship rollback` a rollback runs in: its
// outcome, which the rollback completes, and what it knows of the release.
type Attempt struct {
	Out *event.Outcome
	// Live are the objects earlier revisions may have left in the cluster.
	Live []manifest.Object
	// Dir is the attempt's evidence folder; Steps the steps to roll back
	// by hand, written to its rollback.md.
	Dir   string
	Steps evidence.RollbackSteps
}

// Failure is a deploy that failed: its revision, the release file it was
// deployed with, the revision to restore (nil: the release is removed) and
// the stage the trigger came from. The Attempt's Out.Trigger says why.
type Failure struct {
	Stage    event.Stage
	Revision *record.Revision
	Release  *config.Release
	Previous *record.Revision
	// Interrupted: the trigger is an interrupt, not a failure (the
	// outcome says "was interrupted" instead of "failed").
	Interrupted bool
}

// ended says how the revision ended: "failed" or "was interrupted".
func (f Failure) ended() string {
	if f.Interrupted {
		return "was interrupted"
	}
	return "failed"
}

// AfterFailure handles a failed deploy: with rollback.method manual it
// stops and says exactly what to run; otherwise it restores the previous
// revision, records the failed revision's outcome and writes the rollback
// revision's own evidence (the events from the trigger on).
func (x *Runner) AfterFailure(ctx context.Context, a Attempt, f Failure) {
	rev := f.Revision
	if f.Release.Spec.Rollback.Method == config.RollbackManual {
		rev.Outcome = record.OutcomeFailed
		rev.Message = "failed, not rolled back (rollback.method: manual): " + a.Out.Trigger
		a.Out.Verdict = event.RollbackFailed
		a.Out.Summary = fmt.Sprintf("revision %d failed and was NOT rolled back (rollback.method: manual); roll back with: %s", rev.Number, a.Steps.Command)
		a.Out.ManualSteps = ManualSteps(a.Out.EvidenceDir, a.Steps)
		x.Env.Decide(f.Stage, "rollback.method is manual: not rolling back")
		return
	}
	start, first := x.Env.Now(), len(x.Recorder.Events())
	number := rev.Number + 1
	in := Input{Namespace: a.Out.Namespace, Release: a.Out.Release, From: rev, FromRelease: f.Release, Target: f.Previous,
		Live: manifest.Union(rev.Objects, a.Live), Number: number, Dir: evidence.Folder(x.EvidenceRoot, a.Out.Release, number, start),
		Trigger: a.Out.Trigger}
	res := x.Restore(ctx, in)
	in = res.In
	recordFailure(a, in, res, f.ended())
	if res.Revision != nil {
		x.writeBundle(ctx, a, in, res, first, start)
	}
}

// recordFailure sets the failed revision's outcome and the attempt's from
// the rollback's result.
func recordFailure(a Attempt, in Input, res Result, ended string) {
	rev, out := in.From, a.Out
	for _, c := range res.Checked {
		out.Checked = append(out.Checked, "after rollback: "+c)
	}
	if res.Stopped != nil {
		rev.Outcome = record.OutcomeFailed
		rev.Message = fmt.Sprintf("%s (%s) and its rollback was %v: %s", ended, out.Trigger, res.Stopped, res.where(in))
		out.Verdict = event.RollbackFailed
		out.Summary = fmt.Sprintf("revision %d %s and its rollback was STOPPED (%v)", rev.Number, ended, res.Stopped)
		if res.Revision != nil {
			out.RollbackRevision = res.Revision.Number
			out.Summary += fmt.Sprintf(", recorded as revision %d, interrupted", res.Revision.Number)
		}
		out.Summary += ": " + res.where(in)
		out.ManualSteps = ManualSteps(out.EvidenceDir, a.Steps)
		return
	}
	if res.Err != nil {
		rev.Outcome = record.OutcomeFailed
		rev.Message = fmt.Sprintf("%s (%s) and the rollback failed: %v", ended, out.Trigger, res.Err)
		out.Verdict = event.RollbackFailed
		out.Summary = fmt.Sprintf("revision %d %s and its rollback FAILED: %v", rev.Number, ended, res.Err)
		out.ManualSteps = ManualSteps(out.EvidenceDir, a.Steps)
		return
	}
	rev.Outcome = record.OutcomeRolledBack
	out.Verdict = event.RolledBack
	if res.Revision == nil {
		rev.Message = ended + " and rolled back: the release was removed (it had no previous revision)"
		out.Summary = fmt.Sprintf("revision %d %s; it was the first revision, so its objects were deleted", rev.Number, ended)
		return
	}
	out.RollbackRevision, out.RestoredRevision, out.RestoredOrigin = res.Revision.Number, in.Target.Number, in.Origin.Ref() // revision 0 for an origin
	if res.Unverified != "" {
		// Exit 4: the release failed and nothing proves the rollback
		// worked; the restored revision is recorded as deployed (it is
		// what runs), marked unverified.
		out.Verdict = event.RollbackFailed
		rev.Message = fmt.Sprintf("%s and rolled back to %s (recorded as revision %d); the rollback was NOT verified", ended, in.target(), res.Revision.Number)
		out.Summary = fmt.Sprintf("revision %d %s and was rolled back to %s (recorded as revision %d), applied and ready, but the rollback could NOT be verified: %s",
			rev.Number, ended, in.target(), res.Revision.Number, res.Unverified)
		out.ManualSteps = ManualSteps(out.EvidenceDir, a.Steps)
		return
	}
	rev.Message = fmt.Sprintf("%s and rolled back to %s (recorded as revision %d)", ended, in.target(), res.Revision.Number)
	out.Summary = fmt.Sprintf("revision %d %s and was rolled back to %s (recorded as revision %d); the rollback was verified",
		rev.Number, ended, in.target(), res.Revision.Number)
}

// writeBundle writes the rollback revision's own evidence, the events from
// index first on (the rollback started at start), and records its digest.
func (x *Runner) writeBundle(ctx context.Context, a Attempt, in Input, res Result, first int, start time.Time) {
	events, _ := x.Recorder.Since(first)
	verdict, summary := event.Verified, fmt.Sprintf("rollback of revision %d to %s, verified", in.From.Number, in.target())
	switch {
	case res.Stopped != nil:
		verdict, summary = event.RollbackFailed, fmt.Sprintf("rollback of revision %d to %s STOPPED (%v): %s", in.From.Number, in.target(), res.Stopped, res.where(in))
	case res.Err != nil:
		verdict, summary = event.RollbackFailed, fmt.Sprintf("rollback of revision %d to %s FAILED: %v", in.From.Number, in.target(), res.Err)
	case res.Unverified != "":
		verdict, summary = event.Unverified, fmt.Sprintf("rollback of revision %d to %s, applied and ready, NOT verified: %s", in.From.Number, in.target(), res.Unverified)
	}
	b := &evidence.Bundle{Kind: evidence.KindRollback, Outcome: event.Outcome{Release: a.Out.Release, Namespace: a.Out.Namespace,
		Revision: res.Revision.Number, StartedAt: start, FinishedAt: x.Env.Now(), Verdict: verdict, ExitCode: verdict.ExitCode(),
		Summary: summary, Trigger: a.Out.Trigger, Checked: res.Checked, RestoredRevision: in.Target.Number, RestoredOrigin: in.Origin.Ref(), EvidenceDir: in.Dir},
		Rollback: a.Steps, Events: events}
	digest, err := evidence.Write(in.Dir, b, x.Redactor)
	if err != nil {
		x.log("write rollback evidence: " + err.Error())
		return
	}
	res.Revision.EvidenceDigest = digest
	ctx, cancel := detached(ctx)
	defer cancel()
	x.save(ctx, res.Revision, "record the evidence digest of revision %d", res.Revision.Number)
}

// Manual runs `kship rollback` of from to target (nil: remove the release)
// as revision number, completing the attempt's outcome. It returns the
// rollback revision to record the evidence digest in (nil when the release
// was removed).
func (x *Runner) Manual(ctx context.Context, a Attempt, from, target *record.Revision, number int) *record.Revision {
	fromRel := ReleaseOf(from, nil)
	res := x.Restore(ctx, Input{Namespace: a.Out.Namespace, Release: a.Out.Release, From: from, FromRelease: fromRel, Target: target,
		Live: manifest.Union(from.Objects, a.Live), Number: number, Dir: a.Dir})
	in := res.In
	target = in.Target
	out := a.Out
	out.Checked = res.Checked
	fromChanged := true
	switch {
	case res.Stopped != nil:
		out.Verdict = event.RollbackFailed
		out.Summary = fmt.Sprintf("rollback of revision %d was STOPPED (%v): %s", from.Number, res.Stopped, res.where(in))
		if res.Revision != nil {
			out.RollbackRevision = number
			out.Summary = fmt.Sprintf("rollback of revision %d was STOPPED (%v), recorded as revision %d, interrupted: %s", from.Number, res.Stopped, number, res.where(in))
		}
		out.ManualSteps = ManualSteps(a.Dir, a.Steps)
		fromChanged = false
	case res.Err != nil:
		// from keeps its outcome: the history must always name a deployed
		// revision, and the failed rollback revision says what happened.
		out.Verdict = event.RollbackFailed
		out.Summary = fmt.Sprintf("rollback of revision %d FAILED: %v", from.Number, res.Err)
		out.ManualSteps = ManualSteps(a.Dir, a.Steps)
		fromChanged = false
	case res.Revision == nil:
		out.Verdict, out.Revision = event.Verified, from.Number
		out.Summary = fmt.Sprintf("revision %d had no earlier revision: its objects were deleted", from.Number)
		from.Outcome, from.Message = record.OutcomeRolledBack, "rolled back: the release was removed"
	case res.Unverified != "":
		out.Verdict, out.RestoredRevision, out.RestoredOrigin, out.RollbackRevision = event.Unverified, target.Number, in.Origin.Ref(), number
		out.Summary = fmt.Sprintf("rolled back from revision %d to %s (recorded as revision %d), applied and ready but NOT verified: %s",
			from.Number, in.target(), number, res.Unverified)
		from.Outcome, from.Message = record.OutcomeRolledBack, fmt.Sprintf("rolled back to %s by revision %d (not verified)", in.target(), number)
	default:
		out.Verdict, out.RestoredRevision, out.RestoredOrigin, out.RollbackRevision = event.Verified, target.Number, in.Origin.Ref(), number
		out.Summary = fmt.Sprintf("rolled back from revision %d to %s (recorded as revision %d), verified", from.Number, in.target(), number)
		from.Outcome, from.Message = record.OutcomeRolledBack, fmt.Sprintf("rolled back to %s by revision %d", in.target(), number)
	}
	if res.Err == nil && len(res.Checked) <= 1 && target != nil {
		out.Verdict = event.Unverified
	}
	if fromChanged {
		x.save(ctx, from, "record revision %d", from.Number)
	}
	x.decide("verdict: %s", out.Verdict)
	if res.Revision != nil && out.Verdict == event.Unverified {
		res.Revision.Unverified = true
	}
	return res.Revision
}
