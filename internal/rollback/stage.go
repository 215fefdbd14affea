package rollback

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// Stager is a strategy with a part in a rollback: writes through the
// mechanism that come before the mechanism restores the target exactly,
// so that live traffic moves only to what is Available (blue-green: the
// target's color started beside the one that serves, waited for, then
// the live Service switched to it). A strategy without one leaves the
// whole restore to the mechanism.
type Stager interface {
	// BeforeRestore writes, through w, what must run before r's exact
	// restore, waiting with wait; it writes nothing when r needs no stage.
	// An error fails the rollback before the mechanism's restore.
	BeforeRestore(ctx context.Context, r rollout.Restore, w rollout.Writer, wait rollout.Waiter) error
}

// stage runs the stages of the first Stager of the target's and the
// rolled-back revision's strategies, when the mechanism also writes.
func (x *Runner) stage(ctx context.Context, r rollout.Restore) error {
	w, ok := x.Mechanism.(rollout.Writer)
	if !ok || x.StagerOf == nil || r.Target == nil {
		return nil
	}
	for _, rel := range []*config.Release{r.TargetRelease, r.FromRelease} {
		if rel == nil {
			continue
		}
		if s := x.StagerOf(rel); s != nil {
			if err := s.BeforeRestore(ctx, r, w, checkWaiter{x.Check, r.TargetRelease, r.Namespace}); err != nil {
				return fmt.Errorf("restore revision %d: %w", r.Target.Number, err)
			}
			return nil
		}
	}
	return nil
}

// checkWaiter waits with the Checker, with the restored revision's
// rollout timeout and detector.
type checkWaiter struct {
	c   Checker
	rel *config.Release
	ns  string
}

func (w checkWaiter) Ready(ctx context.Context, objs []manifest.Object) error {
	return w.c.Ready(ctx, w.rel, w.ns, objs)
}
