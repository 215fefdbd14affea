// Package rolling is the rolling strategy (spec.strategy.type
// RollingUpdate): the new revision's objects are written at once, and each
// workload replaces its pods by its own update strategy (a Deployment's
// maxSurge and maxUnavailable, a StatefulSet's ordered update) while the
// failure detector watches the new pods.
package rolling

import (
	"context"

	"github.com/kship/kship/internal/rollout"
)

// Strategy rolls a release out by writing every object of the new revision
// through the mechanism, then waiting until all are ready.
type Strategy struct{}

// New returns the rolling strategy (it keeps no state).
func New(rollout.Env) Strategy { return Strategy{} }

// Rollout writes the new revision and waits for it; an error is a rollback
// trigger.
func (Strategy) Rollout(ctx context.Context, r rollout.Run) error {
	return r.WriteReady(ctx, r.Target)
}
