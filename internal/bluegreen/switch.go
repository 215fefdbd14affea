package bluegreen

import (
	"context"
	"fmt"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
)

// Switch is a change of the active Service's selector: the switch to the
// new color, or the switch back after a post-switch failure (the payload
// of event.TypeBlueGreen).
type Switch struct {
	Service string `json:"service"`
	// From and To are the selectors before and after.
	From map[string]string `json:"from"`
	To   map[string]string `json:"to"`
	// At is when the selector was written (the API server answered).
	At   time.Time `json:"at"`
	Back bool      `json:"back,omitempty"`
	// Failed is when the failing evaluation was measured, for a switch
	// back; Took is At - Failed.
	Failed time.Time       `json:"failed,omitzero"`
	Took   config.Duration `json:"took,omitzero"`
	Reason string          `json:"reason,omitempty"`
}

// EventType is event.TypeBlueGreen.
func (Switch) EventType() event.Type { return event.TypeBlueGreen }

func (b *run) emit(sw Switch, msg string) {
	if b.s.Env.Sink == nil {
		return
	}
	b.s.Env.Sink.Emit(event.Event{Time: b.s.Env.Now(), Stage: event.StageRollout, Type: event.TypeBlueGreen, Object: b.active.Ref().String(), Message: msg, Data: sw})
}

// switchTo moves the active Service's selector to the new color, the old
// color kept running.
func (b *run) switchTo(ctx context.Context) error {
	if err := b.handOver(ctx); err != nil {
		return err
	}
	t := b.target(stringMap(b.active.Obj, "spec", "selector"), b.r.Objects)
	if _, err := b.r.Writer.Write(ctx, t); err != nil {
		return fmt.Errorf("blue-green: switch %s to %s: %w", b.active.Ref(), b.newColor, err)
	}
	sw := Switch{Service: b.active.Ref().String(), From: b.oldSelector, To: stringMap(b.active.Obj, "spec", "selector"), At: b.s.Env.Now()}
	b.switched = sw.At
	b.emit(sw, fmt.Sprintf("blue-green: switched: %s selects %s (was %s); %s kept for %s",
		b.active.Ref(), describe(sw.To), describe(sw.From), b.oldD.Ref(), b.bg.ScaleDownDelay))
	if len(b.autoscalers) > 0 {
		b.s.Env.Decide(event.StageRollout, fmt.Sprintf("blue-green: %s scales %s from this write on (it scaled %s, which keeps its count while it is kept)", autoscalerNames(b.autoscalers), b.newD.Ref(), b.oldD.Ref()))
	}
	return nil
}

// hold keeps the old color for the delay while the post-switch gates run
// on the new color's pods; then checks the new color is still ready.
func (b *run) hold(ctx context.Context) error {
	delay := b.bg.ScaleDownDelay.Duration
	if b.bg.PostSwitch == nil {
		if err := sleep(ctx, b.switched.Add(delay).Sub(b.s.Env.Now())); err != nil {
			return err
		}
	} else if failed, err := b.analyze(ctx, "after the switch", b.bg.PostSwitch, b.switched, delay); err != nil {
		b.failed = failed
		return err
	}
	if err := b.r.Waiter.Ready(ctx, []manifest.Object{b.newD}); err != nil {
		b.failed = b.s.Env.Now()
		return err
	}
	return nil
}

// switchBack writes the old selector again (the old color still runs) as
// soon as a post-switch check failed, and says how long it took from the
// failing evaluation; the rollback that follows removes the new color and
// restores the rest of the previous revision.
func (b *run) switchBack(ctx context.Context, why error) error {
	if b.failed.IsZero() {
		b.failed = b.s.Env.Now()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	t := b.target(b.oldSelector, b.r.Objects)
	if _, err := b.r.Writer.Write(ctx, t); err != nil {
		return fmt.Errorf("blue-green: after the switch: %w; switching %s back to %s FAILED: %v", why, b.active.Ref(), describe(b.oldSelector), err)
	}
	sw := Switch{Service: b.active.Ref().String(), From: stringMap(b.active.Obj, "spec", "selector"), To: b.oldSelector, At: b.s.Env.Now(), Back: true, Failed: b.failed, Reason: why.Error()}
	sw.Took = config.Duration{Duration: sw.At.Sub(sw.Failed)}
	b.emit(sw, fmt.Sprintf("blue-green: switched back: %s selects %s again, %s after the failing evaluation (%v); the rollback removes %s",
		b.active.Ref(), describe(sw.To), sw.Took.Round(time.Millisecond), why, b.newD.Ref()))
	if len(b.autoscalers) > 0 {
		b.s.Env.Decide(event.StageRollout, fmt.Sprintf("blue-green: %s scales %s again, as the previous revision had it", autoscalerNames(b.autoscalers), b.oldD.Ref()))
	}
	return fmt.Errorf("blue-green: after the switch: %w; switched back to %s in %s", why, describe(b.oldSelector), sw.Took.Round(time.Millisecond))
}

// removeOld removes the old color (or the migrated rolling Deployment):
// the revision's objects are then exactly what the cluster has.
func (b *run) removeOld(ctx context.Context) error {
	started := b.s.Env.Now()
	t := b.r.Target
	t.Live = manifest.Union(b.r.Live, []manifest.Object{b.oldD})
	if err := b.r.WriteReady(ctx, t); err != nil {
		return fmt.Errorf("blue-green: remove %s after the delay: %w", b.oldD.Ref(), err)
	}
	b.emitPhase(Phase{Phase: PhaseOldRemoved, Pods: replicasOf(b.newD), Started: started,
		Message: fmt.Sprintf("%s kept %s after the switch, then removed", b.oldD.Ref(), b.s.Env.Now().Sub(b.switched).Round(100*time.Millisecond))},
		fmt.Sprintf("blue-green: %s removed %s after the switch; %s serves live traffic", b.oldD.Ref(), b.s.Env.Now().Sub(b.switched).Round(100*time.Millisecond), b.newD.Ref()))
	return nil
}
