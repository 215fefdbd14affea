package bluegreen

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// The steps of a paused blue-green release (rollout.Pause.Step of Steps):
// the preview passed, the switch waits for kship promote.
const (
	pauseStep  = 1
	pauseSteps = 2
)

// pauseHere ends the run once the preview passed, before the switch
// (spec.strategy.blueGreen.autoPromote: false): a *rollout.PausedError,
// the new color running behind the preview, live traffic on the old one.
func (b *run) pauseHere() error {
	msg := fmt.Sprintf("preview ready, waiting for promote: %s is Available behind %s and passed its checks; %s still selects %s (%s)",
		b.newD.Ref(), b.preview.Ref(), b.active.Ref(), describe(b.oldSelector), b.oldD.Ref())
	b.s.Env.Decide(event.StageRollout, "blue-green: paused until kship promote (switch) or kship abort (remove the new color): "+msg)
	return &rollout.PausedError{Pause: rollout.Pause{Strategy: config.StrategyBlueGreen, Step: pauseStep, Steps: pauseSteps,
		Message: msg, Objects: []manifest.Ref{b.newD.Ref()}, Workloads: []manifest.Ref{b.oldD.Ref()}, At: b.s.Env.Now()}}
}

// Resume switches a paused blue-green release (kship promote): the new
// color must still be Available, then the switch, the hold with the
// post-switch gates and the old color's removal run as in Rollout. An
// error is a rollback trigger (the active Service selects the old color
// again by then).
func (s *Strategy) Resume(ctx context.Context, r rollout.Run, p rollout.Pause) error {
	b, err := s.resumed(ctx, r, p)
	if err != nil {
		return err
	}
	s.Env.Decide(event.StageRollout, "blue-green: promoted: "+p.Message)
	if err := r.Waiter.Ready(ctx, []manifest.Object{b.newD, b.preview}); err != nil {
		return fmt.Errorf("blue-green: %s is no longer Available after the pause, %s was never switched: %w", b.newD.Ref(), b.active.Ref(), err)
	}
	b.ready = s.Env.Now()
	if err := b.learn(ctx); err != nil {
		return err
	}
	return b.promote(ctx)
}

// Abandon removes the new color of a paused blue-green release (kship
// abort); the active Service never changed. The rollback that follows
// restores the previous revision's preview Service.
func (s *Strategy) Abandon(ctx context.Context, r rollout.Run, p rollout.Pause) error {
	b, err := s.resumed(ctx, r, p)
	if err != nil {
		return err
	}
	t := b.target(b.oldSelector, without(b.r.Objects, b.newD.Ref()))
	t.Live = manifest.Union(t.Live, []manifest.Object{b.newD})
	if _, err := r.Writer.Write(ctx, t); err != nil {
		return fmt.Errorf("blue-green: remove %s: %w", b.newD.Ref(), err)
	}
	s.Env.Decide(event.StageRollout, fmt.Sprintf("blue-green: aborted: %s removed; %s still selects %s", b.newD.Ref(), b.active.Ref(), describe(b.oldSelector)))
	return nil
}

// resumed rebuilds the run of a paused blue-green release from its
// revision and what the previous revision left live.
func (s *Strategy) resumed(ctx context.Context, r rollout.Run, p rollout.Pause) (*run, error) {
	if p.Strategy != config.StrategyBlueGreen {
		return nil, fmt.Errorf("blue-green: the revision was paused by strategy %s, not %s", p.Strategy, config.StrategyBlueGreen)
	}
	b, err := s.newRun(ctx, r)
	if err != nil {
		return nil, err
	}
	// The paused revision's own objects are among r.Live: what serves is
	// the Deployment the pause named and the selector the cluster has.
	var old manifest.Object
	if len(p.Workloads) == 1 {
		old, _ = manifest.Find(r.Live, p.Workloads[0])
	}
	sel := s.liveSelector(ctx, b.active.Ref(), nil)
	if old.Obj == nil || len(sel) == 0 {
		return nil, fmt.Errorf("blue-green: the paused revision has no live Deployment or active Service selector beside %s to switch from", b.newD.Ref())
	}
	b.oldD, b.oldColor, b.oldSelector, b.mode = old, colorOf(old), sel, ModeSwitch
	if b.oldColor == "" {
		b.mode = ModeMigrate
	}
	if err := b.prepare(); err != nil {
		return nil, err
	}
	return b, nil
}
