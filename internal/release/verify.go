package release

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
}

// unverified says why a verification does not prove the release works ("":
// it does).
func (v *verification) unverified() string {
	if len(v.checked) == 0 {
		return "the release has no smoke check and no metric gate"
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
// watching the release's workloads the whole time.
func (r *run) verifyAndStabilize(ctx context.Context, a *attempt, gates evaluator, baseline map[string]gate.Measurement) (verification, *trigger) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fails := r.waiterFor(event.StageStabilize).Watch(wctx, manifest.Refs(a.prep.Objects), waitOptions(a.rel, a.out.Namespace))
	v := verification{pending: map[string]string{}}
	done := r.begin(event.StageVerify, "smoke checks and metric gates")
	trig := r.verify(ctx, a.rel, a.out.Namespace, gates, baseline, fails, event.StageVerify, &v)
	if trig != nil {
		done("failed: " + trig.reason)
		return v, trig
	}
	done(fmt.Sprintf("%d checks passed", len(v.checked)))
	return v, r.stabilize(ctx, a.rel, gates, baseline, fails, &v)
}

// verify runs the smoke checks, then the gates, checking the detector
// before and after. Each failed check is a trigger.
func (r *run) verify(ctx context.Context, rel *config.Release, ns string, gates evaluator, baseline map[string]gate.Measurement,
	fails <-chan wait.Failure, stage event.Stage, v *verification) *trigger {
	if t := r.detected(fails, stage); t != nil {
		return t
	}
	if t := r.runSmoke(ctx, rel, ns, stage, v); t != nil {
		return t
	}
	if t := r.evaluate(ctx, rel, gates, baseline, stage, v); t != nil {
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

// evaluate measures every gate once; a failed gate is a trigger, an
// inconclusive or erring one leaves the release unverified until a later
// evaluation passes.
func (r *run) evaluate(ctx context.Context, rel *config.Release, gates evaluator, baseline map[string]gate.Measurement,
	stage event.Stage, v *verification) *trigger {
	if gates == nil {
		return nil
	}
	for _, m := range gates.Evaluate(ctx, rel.Spec.Verify.Metrics.Gates, baseline, stageSink{stage: stage, next: r.rec}) {
		switch m.Verdict {
		case gate.Pass:
			delete(v.pending, m.Gate)
			v.checked = appendOnce(v.checked, fmt.Sprintf("gate %s: %s", m.Gate, m.Threshold))
		case gate.Fail:
			return &trigger{stage: stage, reason: fmt.Sprintf("gate %s failed: %s", m.Gate, gateMessage(m))}
		default:
			v.pending[m.Gate] = fmt.Sprintf("%s: %s", m.Verdict, gateMessage(m))
		}
	}
	return nil
}

// settle verifies a restored revision: smoke checks once, then the gates
// every interval until they all pass or the settle time is over. Right after
// a rollback the metrics still hold the failed revision's samples (a rate
// over 15s remembers 15s), so one evaluation would judge the wrong revision.
func (r *run) settle(ctx context.Context, rel *config.Release, ns string, gates evaluator, baseline map[string]gate.Measurement, v *verification) *trigger {
	if t := r.runSmoke(ctx, rel, ns, event.StageRollback, v); t != nil || gates == nil {
		return t
	}
	limit, interval := rel.Spec.Stabilize.Window.Duration, rel.Spec.Stabilize.Interval.Duration
	if limit < time.Minute {
		limit = time.Minute
	}
	if interval <= 0 || interval > limit {
		interval = 5 * time.Second
	}
	end := r.now().Add(limit)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		t := r.evaluate(ctx, rel, gates, baseline, event.StageRollback, v)
		if (t == nil && len(v.pending) == 0) || !r.now().Before(end) {
			return t
		}
		select {
		case <-ctx.Done():
			return &trigger{stage: event.StageRollback, reason: "interrupted: " + context.Cause(ctx).Error()}
		case <-tick.C:
		}
	}
}

// restoredCheck waits for and verifies a restored revision for the
// rollback stage: its smoke checks once, then its gates until they pass or
// the settle time is over, against baseline.
type restoredCheck struct {
	r        *run
	baseline map[string]gate.Measurement
}

// Ready waits for the restored objects with rel's timeout and detector.
func (c restoredCheck) Ready(ctx context.Context, rel *config.Release, ns string, objs []manifest.Object) error {
	return c.r.waitReady(ctx, event.StageRollback, rel, ns, objs)
}

// Verify runs rel's smoke checks and gates on the restored revision.
func (c restoredCheck) Verify(ctx context.Context, rel *config.Release, ns string) ([]string, string, error) {
	gates, err := c.r.gatesFor(rel)
	if err != nil {
		return nil, "", err
	}
	v := verification{pending: map[string]string{}}
	if trig := c.r.settle(ctx, rel, ns, gates, c.baseline, &v); trig != nil {
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
