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

// rollout runs the release's strategy (or, for kship promote, resumes it
// after its pause): it writes the new revision through the mechanism and
// waits for it with the failure detector. Any failure is a trigger; a
// strategy that paused for a human returns where.
func (r *run) rollout(ctx context.Context, a *attempt) (*trigger, *rollout.Pause) {
	what := "roll out"
	if a.resume != nil {
		what = fmt.Sprintf("resume (paused at step %d of %d)", a.resume.Step, a.resume.Steps)
	}
	done := r.begin(event.StageRollout, fmt.Sprintf("%s revision %d: %d objects, mechanism %s, strategy %s",
		what, a.rev.Number, len(a.prep.Objects), a.rel.Spec.Mechanism, a.rel.Spec.Strategy.Type))
	run := r.rolloutRun(a)
	var err error
	if res, ok := a.strategy.(Resumer); ok && a.resume != nil {
		err = res.Resume(ctx, run, *a.resume)
	} else {
		err = a.strategy.Rollout(ctx, run)
	}
	var paused *rollout.PausedError
	switch {
	case errors.As(err, &paused):
		done(fmt.Sprintf("revision %d paused at step %d of %d", a.rev.Number, paused.Pause.Step, paused.Pause.Steps))
		return nil, &paused.Pause
	case err != nil && ctx.Err() != nil:
		done("interrupted")
		return &trigger{stage: event.StageRollout, reason: err.Error(), interrupt: true}, nil
	case err != nil:
		done("failed")
		return &trigger{stage: event.StageRollout, reason: err.Error()}, nil
	}
	done(fmt.Sprintf("revision %d is ready", a.rev.Number))
	return nil, nil
}

// rolloutRun is what the strategy gets of an attempt.
func (r *run) rolloutRun(a *attempt) rollout.Run {
	return rollout.Run{
		Target: rollout.Target{Release: a.rel, Namespace: a.out.Namespace, Revision: a.rev.Number, Objects: a.prep.Objects, Live: record.Live(a.revs)},
		Writer: a.mechanism, Waiter: readiness{r: r, stage: event.StageRollout, rel: a.rel, ns: a.out.Namespace}, Env: r.env()}
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
