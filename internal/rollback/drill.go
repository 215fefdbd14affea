package rollback

import (
	"context"
	"fmt"
	"strings"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// Drill rolls the deployed revision from back to target, verifies, rolls
// forward to from again, verifies, and completes the attempt's outcome
// with the drill's verdict. It returns the drill, and the last revision it
// recorded (to record the evidence digest in).
//
// With no target (from is kship's first revision) the drill rolls back as
// a failed deploy of from would: to what ran before kship when the
// mechanism keeps it (another client's Helm revision, Restore's origin),
// recorded as a rollback revision and verified with from's checks, then
// forward to from; only when nothing ran before kship does it remove the
// release and apply from again.
func (x *Runner) Drill(ctx context.Context, a Attempt, from, target *record.Revision, number int) (*evidence.Drill, *record.Revision, error) {
	if from.Outcome != record.OutcomeDeployed {
		return nil, nil, fmt.Errorf("revision %d is %s: a drill starts from a deployed revision (kship deploy first)", from.Number, from.Outcome)
	}
	fromRel := ReleaseOf(from, nil)
	d := &evidence.Drill{FromRevision: from.Number, Migrations: a.Steps.DownJobs, Verdict: evidence.DrillFailed}
	if target != nil {
		d.ToRevision = target.Number
	}
	back := x.Restore(ctx, Input{Namespace: a.Out.Namespace, Release: a.Out.Release, From: from, FromRelease: fromRel, Target: target,
		Live: manifest.Union(from.Objects, a.Live), Number: number, Dir: a.Dir})
	a.Out.Checked = back.Checked
	to := "nothing (first release removed)"
	if back.In.Target != nil {
		to = back.In.target()
	}
	d.ToOrigin = back.In.Origin.Ref()
	if back.Err != nil {
		d.Rollback = "failed: " + back.Err.Error()
		x.finishDrill(a, d, fmt.Sprintf("drill FAILED: the rollback of revision %d failed: %v", from.Number, back.Err))
		return d, nil, nil
	}
	d.Rollback = "verified: " + strings.Join(back.Checked, "; ")
	from.Outcome, from.Message = record.OutcomeSuperseded, "rolled back by a drill, then rolled forward"
	x.save(ctx, from, "record revision %d superseded by the drill", from.Number)
	restored := back.Revision
	if restored == nil {
		restored = &record.Revision{Release: a.Out.Release, Namespace: a.Out.Namespace, Number: from.Number}
	}
	fwdNumber := number
	if back.Revision != nil {
		fwdNumber = number + 1
	}
	fwd := x.Restore(ctx, Input{Namespace: a.Out.Namespace, Release: a.Out.Release, From: restored, FromRelease: ReleaseOf(restored, fromRel),
		Target: from, Live: restored.Objects, Number: fwdNumber, Dir: a.Dir, Forward: true})
	a.Out.Checked = append(a.Out.Checked, fwd.Checked...)
	if fwd.Err != nil {
		d.RollForward = "failed: " + fwd.Err.Error()
		x.finishDrill(a, d, fmt.Sprintf("drill FAILED: rolling forward to revision %d failed: %v", from.Number, fwd.Err))
		return d, nil, nil
	}
	d.RollForward = "verified: " + strings.Join(fwd.Checked, "; ")
	d.Verdict = evidence.DrillPassed
	a.Out.RollbackRevision, a.Out.RestoredRevision, a.Out.RestoredOrigin = number, d.ToRevision, d.ToOrigin
	x.finishDrill(a, d, fmt.Sprintf("drill passed: revision %d was rolled back to %s and forward again (revision %d), both verified",
		from.Number, to, fwdNumber))
	return d, fwd.Revision, nil
}

// finishDrill completes the outcome of a drill.
func (x *Runner) finishDrill(a Attempt, d *evidence.Drill, summary string) {
	a.Out.Summary = summary
	a.Out.Verdict = event.Verified
	if d.Verdict != evidence.DrillPassed {
		a.Out.Verdict = event.RollbackFailed
		a.Out.ManualSteps = ManualSteps(a.Dir, a.Steps)
	}
	x.decide("drill verdict: %s", d.Verdict)
}
