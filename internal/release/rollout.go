package release

import (
	"context"
	"errors"
	"fmt"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/wait"
)

// rollout runs the release's strategy: it writes the new revision through
// the mechanism and waits for it with the failure detector. Any failure is
// a trigger.
func (r *run) rollout(ctx context.Context, a *attempt) *trigger {
	done := r.begin(event.StageRollout, fmt.Sprintf("roll out revision %d: %d objects, mechanism %s, strategy %s",
		a.rev.Number, len(a.prep.Objects), a.rel.Spec.Mechanism, a.rel.Spec.Strategy.Type))
	err := a.strategy.Rollout(ctx, rollout.Run{
		Target: rollout.Target{Release: a.rel, Namespace: a.out.Namespace, Revision: a.rev.Number, Objects: a.prep.Objects, Live: record.Live(a.revs)},
		Writer: a.mechanism, Waiter: readiness{r: r, stage: event.StageRollout, rel: a.rel, ns: a.out.Namespace}, Env: r.env()})
	if err != nil {
		done("failed")
		return &trigger{stage: event.StageRollout, reason: err.Error()}
	}
	done(fmt.Sprintf("revision %d is ready", a.rev.Number))
	return nil
}

// readiness is the run's waiter as a strategy waits with it.
type readiness struct {
	r     *run
	stage event.Stage
	rel   *config.Release
	ns    string
}

// Ready waits for objs with the release's rollout timeout and detector.
func (w readiness) Ready(ctx context.Context, objs []manifest.Object) error {
	return w.r.waitReady(ctx, w.stage, w.rel, w.ns, objs)
}

// waitReady waits for objs with the release's rollout timeout and detector.
func (r *run) waitReady(ctx context.Context, stage event.Stage, rel *config.Release, ns string, objs []manifest.Object) error {
	_, err := r.waiterFor(stage).Wait(ctx, manifest.Refs(objs), waitOptions(rel, ns))
	if err == nil {
		return nil
	}
	var fe *wait.FailureError
	if errors.As(err, &fe) {
		return fmt.Errorf("%s", fe.Failure.String())
	}
	return fmt.Errorf("wait for readiness: %w", err)
}

// waitOptions are the wait options of a release.
func waitOptions(rel *config.Release, ns string) wait.Options {
	timeout := rel.Spec.Verify.RolloutTimeout.Duration
	if timeout == 0 {
		timeout = config.DefaultRolloutTimeout
	}
	return wait.Options{Timeout: timeout, Detector: rel.Spec.Detector, Namespace: ns}
}

// describeFailure names the object, pod, container, reason and message of a
// detector failure.
func describeFailure(f wait.Failure) string { return f.String() }
