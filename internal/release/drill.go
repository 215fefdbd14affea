package release

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/record"
)

// productionLabels are the namespace labels that mark production; a drill
// is refused there.
var productionLabels = []string{"environment", "env", "kship.dev/environment", "tier"}

// refuseProduction refuses a drill in a namespace labelled production.
func (r *run) refuseProduction(ctx context.Context, ns string) error {
	n, err := r.clients.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	for _, k := range productionLabels {
		if v := n.Labels[k]; v == "production" || v == "prod" {
			return &RefusedError{Reason: fmt.Sprintf("namespace %s is labelled %s=%s: a rollback drill runs only outside production", ns, k, v)}
		}
	}
	if n.Labels["kship.dev/production"] == "true" {
		return &RefusedError{Reason: fmt.Sprintf("namespace %s is labelled kship.dev/production=true: a rollback drill runs only outside production", ns)}
	}
	return nil
}

// drill rolls the deployed revision back to target, verifies, rolls
// forward to it again, verifies, and records both revisions and the drill
// verdict in one bundle.
func (r *run) drill(ctx context.Context, a *attempt, from, target *record.Revision) (*Outcome, error) {
	if from.Outcome != OutcomeDeployed {
		return nil, fmt.Errorf("revision %d is %s: a drill starts from a deployed revision (kship deploy first)", from.Number, from.Outcome)
	}
	number, fromRel := r.openRollback(a, from, target)
	d := &evidence.Drill{FromRevision: from.Number, Migrations: a.steps.DownJobs, Verdict: evidence.DrillFailed}
	if target != nil {
		d.ToRevision = target.Number
	}
	back := r.restore(ctx, restoreInput{ns: a.out.Namespace, name: a.out.Release, from: from, fromRel: fromRel, target: target,
		live: union(from.Objects, liveObjects(a.revs)), number: number, dir: a.dir})
	a.out.Checked = back.checked
	if back.err != nil {
		d.Rollback = "failed: " + back.err.Error()
		return r.finishDrill(ctx, a, from, d, fmt.Sprintf("drill FAILED: the rollback of revision %d failed: %v", from.Number, back.err))
	}
	d.Rollback = "verified: " + joinChecked(back.checked)
	from.Outcome, from.Message = OutcomeSuperseded, "rolled back by a drill, then rolled forward"
	_ = r.hist.Save(ctx, from)
	restored := back.revision
	if restored == nil {
		restored = &record.Revision{Release: a.out.Release, Namespace: a.out.Namespace, Number: from.Number}
	}
	fwdNumber := number
	if back.revision != nil {
		fwdNumber = number + 1
	}
	fwd := r.restore(ctx, restoreInput{ns: a.out.Namespace, name: a.out.Release, from: restored, fromRel: releaseOf(restored, fromRel),
		target: from, live: restored.Objects, number: fwdNumber, dir: a.dir, skipDown: true, rerun: true})
	a.out.Checked = append(a.out.Checked, fwd.checked...)
	if fwd.err != nil {
		d.RollForward = "failed: " + fwd.err.Error()
		return r.finishDrill(ctx, a, from, d, fmt.Sprintf("drill FAILED: rolling forward to revision %d failed: %v", from.Number, fwd.err))
	}
	d.RollForward = "verified: " + joinChecked(fwd.checked)
	d.Verdict = evidence.DrillPassed
	a.rev, a.saved = fwd.revision, true
	a.out.RollbackRevision, a.out.RestoredRevision = number, d.ToRevision
	return r.finishDrill(ctx, a, from, d, fmt.Sprintf("drill passed: revision %d was rolled back to %s and forward again (revision %d), both verified",
		from.Number, targetName(target), fwdNumber))
}

// finishDrill writes the drill's bundle and completes the Outcome.
func (r *run) finishDrill(ctx context.Context, a *attempt, from *record.Revision, d *evidence.Drill, summary string) (*Outcome, error) {
	a.out.Summary = summary
	a.out.Verdict = Verified
	if d.Verdict != evidence.DrillPassed {
		a.out.Verdict = RollbackFailed
		a.out.ManualSteps = manualSteps(a.dir, a.steps)
	}
	r.decide(event.StageRollback, "drill verdict: %s", d.Verdict)
	a.drill = d
	return r.finish(ctx, a, evidence.KindDrill)
}

func targetName(t *record.Revision) string {
	if t == nil {
		return "nothing (first release removed)"
	}
	return fmt.Sprintf("revision %d", t.Number)
}

func joinChecked(c []string) string {
	s := ""
	for i, x := range c {
		if i > 0 {
			s += "; "
		}
		s += x
	}
	return s
}
