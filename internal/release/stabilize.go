package release

import (
	"context"
	"fmt"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/wait"
)

// stabilize re-evaluates the gates every interval across the window while
// the detector keeps watching; any breach is a trigger.
func (r *run) stabilize(ctx context.Context, rel *config.Release, gates evaluator, baseline map[string]gate.Measurement,
	fails <-chan wait.Failure, v *verification) *trigger {
	window, interval := rel.Spec.Stabilize.Window.Duration, rel.Spec.Stabilize.Interval.Duration
	if window <= 0 {
		r.decide(event.StageStabilize, "no stabilize window configured: skipped")
		return nil
	}
	if interval <= 0 || interval > window {
		interval = window
	}
	done := r.begin(event.StageStabilize, fmt.Sprintf("watch for %s, gates every %s", window, interval))
	end := time.NewTimer(window)
	defer end.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	rounds := 0
	for {
		select {
		case <-ctx.Done():
			done("interrupted")
			return &trigger{stage: event.StageStabilize, reason: "interrupted: " + context.Cause(ctx).Error()}
		case f, ok := <-fails:
			if !ok {
				fails = nil
				continue
			}
			done("detector failure")
			return &trigger{stage: event.StageStabilize, reason: describeFailure(f)}
		case <-tick.C:
			rounds++
			if t := r.evaluate(ctx, rel, gates, gateList(rel), baseline, event.StageStabilize, v); t != nil {
				done("gate breached")
				return t
			}
		case <-end.C:
			if t := r.evaluate(ctx, rel, gates, gateList(rel), baseline, event.StageStabilize, v); t != nil {
				done("gate breached")
				return t
			}
			v.checked = append(v.checked, fmt.Sprintf("stabilize: %s window, %d gate rounds, no failure detected", window, rounds+1))
			done("stable")
			return nil
		}
	}
}

// gateList is the release file's gates (none without metrics).
func gateList(rel *config.Release) []config.Gate {
	if rel.Spec.Verify.Metrics == nil {
		return nil
	}
	return rel.Spec.Verify.Metrics.Gates
}
