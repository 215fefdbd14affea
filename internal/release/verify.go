package release

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/wait"
)

// verification is what Verify, Stabilize and a rollback's verification
// measured.
type verification struct {
	checked []string
	// pending holds the gates whose latest evaluation was inconclusive or
	// erred, with why; a release is verified only when it is empty.
	pending map[string]string
	// unplaced says why the gates' windows could not be placed after the
	// rollout ("": they were); the gates are then not evaluated.
	unplaced string
	// blind says why what the detector missed while it could not watch
	// was not re-observed as healthy ("": it was, or it never was blind).
	blind string
	// stopped says why the verification was stopped before it ended (an
	// interrupt during Stabilize); "": it ran to its end.
	stopped string
}

// unverified says why a verification does not prove the release works ("":
// it does).
func (v *verification) unverified() string {
	if v.stopped != "" {
		return v.stopped
	}
	if len(v.checked) == 0 {
		return "the release has no smoke check and no metric gate"
	}
	if v.blind != "" {
		if g := v.inconclusive(); g != "" {
			return v.blind + "; " + g
		}
		return v.blind
	}
	return v.inconclusive()
}

// inconclusive says which gates' latest evaluation was inconclusive or
// erred, and why ("": none).
func (v *verification) inconclusive() string {
	if len(v.pending) == 0 {
		return ""
	}
	names := make([]string, 0, len(v.pending))
	for n := range v.pending {
		names = append(names, n)
	}
	sort.Strings(names)
	s := "gates not conclusive:"
	for _, n := range names {
		s += fmt.Sprintf(" %s (%s);", n, v.pending[n])
	}
	return s
}

// verifyAndStabilize runs Verify then Stabilize with the failure detector
// watching the release's workloads the whole time; the gates' windows are
// placed after the rollout that was done at rolledOut.
func (r *run) verifyAndStabilize(ctx context.Context, a *attempt, gates evaluator, baseline map[string]gate.Measurement, rolledOut time.Time) (verification, *trigger) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, refs, opts := r.waiterFor(event.StageStabilize), manifest.Refs(a.prep.Objects), waitOptions(a.rel, a.out.Namespace)
	watching := w.Watch(wctx, refs, opts)
	det := &detector{watching: watching, reobserve: func(ctx context.Context, since time.Time) (*wait.Reobservation, error) {
		return w.Reobserve(ctx, refs, opts, since)
	}}
	fails := watching.Failures
	v := verification{pending: map[string]string{}}
	done := r.begin(event.StageVerify, "smoke checks and metric gates")
	r.placeGates(ctx, event.StageVerify, gates, a.rel, a.out.Namespace, a.rev.Number, a.prep.Objects, rolledOut, &v)
	trig := r.verify(ctx, a.rel, a.out.Namespace, gates, baseline, fails, event.StageVerify, &v)
	if trig == nil && ctx.Err() != nil {
		trig = &trigger{stage: event.StageVerify, reason: "interrupted: " + context.Cause(ctx).Error()}
	}
	if trig != nil && ctx.Err() != nil {
		trig.interrupt = true
		done("interrupted")
		return v, trig
	}
	if trig != nil {
		done("failed: " + trig.reason)
		return v, trig
	}
	done(fmt.Sprintf("%d checks passed", len(v.checked)))
	return v, r.stabilize(ctx, a.rel, gates, baseline, det, &v)
}

// verify runs the smoke checks, then the gates (each once its window holds
// only the new revision's samples), checking the detector before and
// after. Each failed check is a trigger.
func (r *run) verify(ctx context.Context, rel *config.Release, ns string, gates evaluator, baseline map[string]gate.Measurement,
	fails <-chan wait.Failure, stage event.Stage, v *verification) *trigger {
	if t := r.detected(fails, stage); t != nil {
		return t
	}
	if t := r.runSmoke(ctx, rel, ns, stage, v); t != nil {
		return t
	}
	if t := r.judgeGates(ctx, rel, gates, baseline, fails, stage, v); t != nil {
		return t
	}
	return r.detected(fails, stage)
}

// runSmoke runs the release's smoke checks; a failed one is a trigger.
func (r *run) runSmoke(ctx context.Context, rel *config.Release, ns string, stage event.Stage, v *verification) *trigger {
	if len(rel.Spec.Verify.Smoke) == 0 {
		return nil
	}
	for _, res := range r.smoke.Run(ctx, ns, rel.Spec.Verify.Smoke, stageSink{stage: stage, next: r.rec}) {
		if !res.Passed {
			return &trigger{stage: stage, reason: fmt.Sprintf("smoke check %s failed after %d tries: %s", res.Name, res.Attempts, res.Message)}
		}
		v.checked = appendOnce(v.checked, fmt.Sprintf("smoke %s (%s): passed", res.Name, res.Kind))
	}
	return nil
}

// evaluate measures the gates list once; a failed gate is a trigger, an
// inconclusive or erring one leaves the release unverified until a later
// evaluation passes. Gates whose windows could not be placed are not
// evaluated (they stay pending).
func (r *run) evaluate(ctx context.Context, rel *config.Release, gates evaluator, list []config.Gate, baseline map[string]gate.Measurement,
	stage event.Stage, v *verification) *trigger {
	if gates == nil || v.unplaced != "" {
		return nil
	}
	for _, m := range gates.Evaluate(ctx, list, baseline, stageSink{stage: stage, next: r.rec}) {
		switch m.Verdict {
		case gate.Pass:
			delete(v.pending, m.Gate)
			v.checked = setGateLine(v.checked, m)
		case gate.Fail:
			return &trigger{stage: stage, reason: fmt.Sprintf("gate %s failed: %s", m.Gate, gateMessage(m))}
		default:
			v.pending[m.Gate] = fmt.Sprintf("%s: %s", m.Verdict, gateMessage(m))
		}
	}
	return nil
}

// settle verifies the restored revision (number revision) that was ready
// at ready: smoke
// checks once, then each gate once its window holds only samples scraped
// after the restore, re-evaluated every interval while one is not
// conclusive, until a deadline derived from the windows (said in the view).
// gatesRel holds the gates: the release file the attempt started with, so
// one state is judged by one definition of healthy in a run.
func (r *run) settle(ctx context.Context, rel, gatesRel *config.Release, ns string, revision int, gates evaluator, baseline map[string]gate.Measurement,
	objs []manifest.Object, ready time.Time, v *verification) *trigger {
	if t := r.runSmoke(ctx, rel, ns, event.StageRollback, v); t != nil || gates == nil {
		return t
	}
	r.placeGates(ctx, event.StageRollback, gates, gatesRel, ns, revision, objs, ready, v)
	if v.unplaced != "" {
		return nil
	}
	interval := gatesRel.Spec.Stabilize.Interval.Duration
	if interval <= 0 {
		interval = 5 * time.Second
	}
	list := gatesRel.Spec.Verify.Metrics.Gates
	end, why := rollbackDeadline(gates.Waits(list), list, interval, r.now())
	r.decide(event.StageRollback, "rollback verification: each gate judged on a window wholly after the restored pods were ready, deadline %s (%s)",
		end.UTC().Format("15:04:05Z"), why)
	if t := r.judgeGates(ctx, gatesRel, gates, baseline, nil, event.StageRollback, v); t != nil {
		return t
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for len(v.pending) > 0 && r.now().Before(end) {
		select {
		case <-ctx.Done():
			return &trigger{stage: event.StageRollback, reason: "interrupted: " + context.Cause(ctx).Error()}
		case <-tick.C:
		}
		if t := r.evaluate(ctx, gatesRel, gates, pendingGates(list, v), baseline, event.StageRollback, v); t != nil {
			return t
		}
	}
	return nil
}

// pendingGates are the gates of list v still has pending.
func pendingGates(list []config.Gate, v *verification) []config.Gate {
	var out []config.Gate
	for _, g := range list {
		if _, ok := v.pending[g.Name]; ok {
			out = append(out, g)
		}
	}
	return out
}

// restoredCheck waits for and verifies a restored revision for the
// rollback stage: its smoke checks once, then the gates on windows after
// the restore, against baseline. gates, when set, is the release file the
// attempt started with: its gates judge the restored state (they measured
// it as the baseline), not the restored revision's own.
type restoredCheck struct {
	r        *run
	baseline map[string]gate.Measurement
	gates    *config.Release
	// ready and objs are the last restore Ready waited for.
	ready time.Time
	objs  []manifest.Object
}

// Ready waits for the restored objects with rel's timeout and detector.
func (c *restoredCheck) Ready(ctx context.Context, rel *config.Release, ns string, objs []manifest.Object) error {
	if err := c.r.waitReady(ctx, event.StageRollback, rel, ns, objs); err != nil {
		return err
	}
	c.ready, c.objs = c.r.now(), objs
	return nil
}

// Verify runs rel's smoke checks and the gates on the restored revision.
func (c *restoredCheck) Verify(ctx context.Context, rel *config.Release, ns string, revision int) ([]string, string, error) {
	gatesRel := rel
	if c.gates != nil {
		gatesRel = c.gates
	}
	gates, err := c.r.gatesFor(gatesRel)
	if err != nil {
		return nil, "", err
	}
	ready := c.ready
	if ready.IsZero() {
		ready = c.r.now()
	}
	v := verification{pending: map[string]string{}}
	if trig := c.r.settle(ctx, rel, gatesRel, ns, revision, gates, c.baseline, c.objs, ready, &v); trig != nil {
		return v.checked, "", errors.New(trig.reason)
	}
	return v.checked, v.inconclusive(), nil
}

func gateMessage(m gate.Measurement) string {
	if m.Message != "" {
		return m.Message
	}
	if m.Value == nil {
		return "no data, threshold " + m.Threshold
	}
	return fmt.Sprintf("value %g, threshold %s", *m.Value, m.Threshold)
}

// setGateLine puts m's line ("gate error-rate = 0 (max 0.05; window ...
// after the rollout): pass") in list, in place of the gate's earlier one:
// the summary shows each gate's last value and verdict.
func setGateLine(list []string, m gate.Measurement) []string {
	prefix := "gate " + m.Gate + " "
	line := prefix + "(" + m.Threshold
	if m.Value != nil {
		line = fmt.Sprintf("%s= %s (%s", prefix, strconv.FormatFloat(*m.Value, 'g', 4, 64), m.Threshold)
	}
	if w := m.Window; w != nil && w.PostRollout {
		line += "; window " + w.Span() + " wholly after the rollout"
	}
	line += "): " + string(m.Verdict)
	for i, have := range list {
		if strings.HasPrefix(have, prefix) {
			list[i] = line
			return list
		}
	}
	return append(list, line)
}

func appendOnce(list []string, s string) []string {
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}

// detected returns a trigger when the detector has reported a failure.
func (r *run) detected(fails <-chan wait.Failure, stage event.Stage) *trigger {
	select {
	case f, ok := <-fails:
		if ok {
			return &trigger{stage: stage, reason: describeFailure(f)}
		}
	default:
	}
	return nil
}

// stageSink files every event under one stage (stage packages emit under
// their default stage; the executor knows which stage is running).
type stageSink struct {
	stage event.Stage
	next  event.Sink
}

// Emit sets the stage and forwards e.
func (s stageSink) Emit(e event.Event) {
	e.Stage = s.stage
	s.next.Emit(e)
}
