package release

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/wait"
)

// reobserveWithin bounds how long a re-observation waits for an API
// server that is still away: as long as the final save would.
const reobserveWithin = record.DefaultSaveWithin

// detector is the failure detector running across Verify and Stabilize,
// and how to look again at what it watches.
type detector struct {
	watching  *wait.Watching
	reobserve func(ctx context.Context, since time.Time) (*wait.Reobservation, error)
}

// sighted makes sure the detector saw the whole of Verify and Stabilize.
// When it was blind for a while (no working watch: an API-server outage),
// what it watches is listed afresh and judged by its rules, restarts since
// the first blind stretch began included: a failure found is a trigger;
// pods not Ready, or a re-observation that cannot be made (the API server
// still away after reobserveWithin), leave the release unverified (v.blind).
// Every stretch is said in the stream, and in v.checked when re-observed.
func (r *run) sighted(ctx context.Context, stage event.Stage, det *detector, v *verification) *trigger {
	stretches := det.watching.Blind()
	if len(stretches) == 0 {
		return nil
	}
	now := r.now()
	var total time.Duration
	spans := make([]string, 0, len(stretches))
	for _, b := range stretches {
		total += b.Duration(now)
		to := "still blind"
		if !b.To.IsZero() {
			to = b.To.UTC().Format("15:04:05Z")
		}
		spans = append(spans, fmt.Sprintf("%s to %s", b.From.UTC().Format("15:04:05Z"), to))
	}
	blind := fmt.Sprintf("%s without a working watch (%s)", total.Round(100*time.Millisecond), strings.Join(spans, ", "))
	since := stretches[0].From
	r.decide(stage, "the failure detector was blind %s: re-listing pods, ReplicaSets and Warning Events to see what it missed (waiting up to %s for the API server)",
		blind, reobserveWithin)
	rctx, cancel := context.WithTimeout(ctx, reobserveWithin)
	res, err := det.reobserve(rctx, since)
	cancel()
	switch {
	case ctx.Err() != nil:
		return &trigger{stage: stage, reason: "interrupted: " + context.Cause(ctx).Error()}
	case err != nil:
		v.blind = fmt.Sprintf("the failure detector was blind %s and what it missed could not be re-observed: %v", blind, err)
		r.decide(stage, "%s", v.blind)
		return nil
	}
	r.emit(stage, event.TypeReobserved, "", "re-observed after the detector's blind stretch: "+res.Summary(), reobserved(*res))
	if len(res.Failures) > 0 {
		f := res.Failures[0]
		return &trigger{stage: stage, reason: fmt.Sprintf("found after the detector was blind %s: %s", blind, describeFailure(f))}
	}
	if len(res.NotReady) > 0 {
		v.blind = fmt.Sprintf("the failure detector was blind %s and afterwards %d new %s not Ready: %s",
			blind, len(res.NotReady), plural(len(res.NotReady), "pod is", "pods are"), strings.Join(res.NotReady, ", "))
		r.decide(stage, "%s", v.blind)
		return nil
	}
	v.checked = append(v.checked, fmt.Sprintf("detector: blind %s, re-observed after: %s", blind, res.Summary()))
	return nil
}

// reobserved is the payload of a re-observation event.
type reobserved wait.Reobservation

// EventType is event.TypeReobserved.
func (reobserved) EventType() event.Type { return event.TypeReobserved }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
