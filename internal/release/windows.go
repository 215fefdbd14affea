package release

import (
	"context"
	"fmt"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/wait"
)

// A gate's verdict counts only on samples the revision it judges produced:
// once the revision is ready, kship finds its pods (their pod-template-hash
// is the queries' {{.PodTemplateHash}}), learns from Prometheus how often
// they are scraped, and evaluates each gate only when its window [t -
// lookback, t] starts after their first scrapes (gate.WaitFor), saying
// what it waits for.

// placeGates places the gates' windows after the revision that became
// ready at ready: its pods and their pod-template-hash, their scrape
// interval. When that cannot be done, every gate is left pending with why
// (never judged on a window that may hold the previous revision's samples)
// and v.unplaced says it.
func (r *run) placeGates(ctx context.Context, stage event.Stage, gates evaluator, rel *config.Release, ns string, revision int,
	objs []manifest.Object, ready time.Time, v *verification) {
	if gates == nil {
		return
	}
	vars := config.QueryVars{Namespace: ns, Release: rel.Metadata.Name, Revision: revision}
	p := gate.Placement{Vars: vars, RolloutDone: ready, Override: rel.Spec.Verify.Metrics.Prometheus.ScrapeInterval.Duration}
	pods, err := r.revisionPods(ctx, ns, objs)
	if err == nil {
		p.Vars.PodTemplateHashes = pods.Hashes
		for _, n := range pods.Names {
			p.Pods = append(p.Pods, gate.Pod{Namespace: ns, Name: n})
		}
		var placed gate.Placed
		placed, err = gates.Place(ctx, p)
		if err == nil {
			r.rec.Emit(event.Event{Time: r.now(), Stage: stage, Type: event.TypeGatePlaced, Message: placed.Message, Data: placed})
			return
		}
	}
	v.unplaced = fmt.Sprintf("the gates' windows cannot be placed after the rollout: %v", err)
	r.decide(stage, "gates not judged: %s", v.unplaced)
	for _, g := range rel.Spec.Verify.Metrics.Gates {
		v.pending[g.Name] = "not judged: " + v.unplaced
	}
}

// revisionPods finds the current pods of objs (none without a cluster).
func (r *run) revisionPods(ctx context.Context, ns string, objs []manifest.Object) (rollout.Pods, error) {
	if r.clients == nil || r.clients.Typed == nil {
		return rollout.Pods{Namespace: ns}, nil
	}
	return rollout.RevisionPods(ctx, r.clients.Typed, ns, objs)
}

// judgeGates evaluates each gate once, as soon as its window holds only
// samples scraped after the rollout: it says what it waits for and until
// when, and waits with the detector watching (a detector failure ends the
// wait as a trigger). A failed gate is a trigger. An unplaced evaluator
// (no rollout time) evaluates every gate at once.
func (r *run) judgeGates(ctx context.Context, rel *config.Release, gates evaluator, baseline map[string]gate.Measurement,
	fails <-chan wait.Failure, stage event.Stage, v *verification) *trigger {
	if gates == nil || v.unplaced != "" {
		return nil
	}
	list := rel.Spec.Verify.Metrics.Gates
	waits := gates.Waits(list)
	if len(waits) == 0 {
		return r.evaluate(ctx, rel, gates, list, baseline, stage, v)
	}
	byName := map[string]config.Gate{}
	for _, g := range list {
		byName[g.Name] = g
	}
	for _, w := range waits {
		r.rec.Emit(event.Event{Time: r.now(), Stage: stage, Type: event.TypeGateWait, Message: w.Message, Data: w})
		if t := r.sleepUntil(ctx, w.Until, fails, stage); t != nil {
			return t
		}
		if t := r.evaluate(ctx, rel, gates, []config.Gate{byName[w.Gate]}, baseline, stage, v); t != nil {
			return t
		}
	}
	return nil
}

// sleepUntil waits until `until`; the detector's failure or the end of ctx
// ends the wait as a trigger.
func (r *run) sleepUntil(ctx context.Context, until time.Time, fails <-chan wait.Failure, stage event.Stage) *trigger {
	d := until.Sub(r.now())
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return &trigger{stage: stage, reason: "interrupted: " + context.Cause(ctx).Error()}
		case f, ok := <-fails:
			if !ok {
				fails = nil
				continue
			}
			return &trigger{stage: stage, reason: describeFailure(f)}
		case <-timer.C:
			return nil
		}
	}
}

// rollbackDeadline is how long a rollback's verification may take: until
// the last gate's window lies wholly after the restore, plus minSamples
// evaluations every interval (at least one), so a gate that needs several
// evaluations with data gets them.
func rollbackDeadline(waits []gate.Wait, gates []config.Gate, interval time.Duration, now time.Time) (time.Time, string) {
	last := now
	for _, w := range waits {
		if w.Until.After(last) {
			last = w.Until
		}
	}
	n := 1
	for _, g := range gates {
		n = max(n, g.MinSamples)
	}
	end := last.Add(time.Duration(n) * interval)
	return end, fmt.Sprintf("the last gate's window is wholly after the restore at %s, then %d evaluation(s) every %s",
		last.UTC().Format("15:04:05Z"), n, interval)
}
