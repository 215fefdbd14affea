package release

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
)

// stabilize re-evaluates the gates every interval across the window
// (gate.Stabilize) while the detector keeps watching; any breach is a trigger.
func (r *run) stabilize(ctx context.Context, rel *config.Release, gates evaluator, baseline map[string]gate.Measurement,
	det *detector, v *verification) *trigger {
	s := rel.Spec.Stabilize
	if s.Window.Duration <= 0 {
		r.decide(event.StageStabilize, "no stabilize window configured: skipped")
		return r.sighted(ctx, event.StageStabilize, det, v)
	}
	done := r.begin(event.StageStabilize, fmt.Sprintf("watch for %s, gates every %s", s.Window.Duration, gate.Interval(s)))
	var breach *trigger
	rounds := 0
	end, f := gate.Stabilize(ctx, s, det.watching.Failures, func() bool {
		rounds++
		breach = r.evaluate(ctx, rel, gates, gateList(rel), baseline, event.StageStabilize, v)
		return breach != nil
	})
	switch end {
	case gate.Interrupted:
		done("interrupted")
		return &trigger{stage: event.StageStabilize, reason: "interrupted: " + context.Cause(ctx).Error(), interrupt: true}
	case gate.Signalled:
		done("detector failure")
		return &trigger{stage: event.StageStabilize, reason: describeFailure(f)}
	case gate.Stopped:
		done("gate breached")
		return breach
	}
	if t := r.sighted(ctx, event.StageStabilize, det, v); t != nil {
		done("failure found after the detector's blind stretch")
		return t
	}
	if v.blind != "" {
		v.checked = append(v.checked, fmt.Sprintf("stabilize: %s window, %d gate rounds, NOT fully watched", s.Window.Duration, rounds))
		done("not verified: " + v.blind)
		return nil
	}
	v.checked = append(v.checked, fmt.Sprintf("stabilize: %s window, %d gate rounds, no failure detected", s.Window.Duration, rounds))
	done("stable")
	return nil
}

// gateList is the release file's gates (none without metrics).
func gateList(rel *config.Release) []config.Gate {
	if rel.Spec.Verify.Metrics == nil {
		return nil
	}
	return rel.Spec.Verify.Metrics.Gates
}
