package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kship/kship/internal/apply"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/wait"
)

// rollout applies the revision in dependency order (migrations first),
// prunes what earlier revisions left that this one lacks, and waits for
// readiness with the failure detector. Any failure is a trigger.
func (r *run) rollout(ctx context.Context, a *attempt) *trigger {
	objs := withoutJobs(a.prep.Objects, downJobs(a.rel))
	done := r.begin(event.StageRollout, fmt.Sprintf("apply %d objects of revision %d", len(objs), a.rev.Number))
	cs, err := r.apply.Apply(ctx, objs, apply.Options{Migrations: a.rel.Spec.Migrations, Detector: a.rel.Spec.Detector})
	r.decide(event.StageRollout, "applied: %s", countActions(cs))
	if err != nil {
		done("apply failed")
		return &trigger{stage: event.StageRollout, reason: "apply failed: " + err.Error()}
	}
	if prune := missing(liveObjects(a.revs), a.prep.Objects); len(prune) > 0 {
		cs, err := r.apply.Prune(ctx, prune)
		r.decide(event.StageRollout, "pruned %d objects the previous revision had: %s", len(prune), countActions(cs))
		if err != nil {
			done("prune failed")
			return &trigger{stage: event.StageRollout, reason: "prune failed: " + err.Error()}
		}
	}
	if err := r.waitReady(ctx, event.StageRollout, a.rel, a.out.Namespace, objs); err != nil {
		done("not ready")
		return &trigger{stage: event.StageRollout, reason: err.Error()}
	}
	done(fmt.Sprintf("all %d objects ready", len(objs)))
	return nil
}

// waitReady waits for objs with the release's rollout timeout and detector.
func (r *run) waitReady(ctx context.Context, stage event.Stage, rel *config.Release, ns string, objs []manifest.Object) error {
	_, err := r.waiterFor(stage).Wait(ctx, refs(objs), waitOptions(rel, ns))
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
		timeout = 5 * time.Minute
	}
	return wait.Options{Timeout: timeout, Detector: rel.Spec.Detector, Namespace: ns}
}

// describeFailure names the object, pod, container, reason and message of a
// detector failure.
func describeFailure(f wait.Failure) string { return f.String() }

// countActions summarises a change set: "3 created, 1 configured".
func countActions(cs *apply.ChangeSet) string {
	if cs == nil {
		return "nothing"
	}
	counts := map[apply.Action]int{}
	var order []apply.Action
	for _, c := range cs.Changes {
		if counts[c.Action] == 0 {
			order = append(order, c.Action)
		}
		counts[c.Action]++
	}
	s := ""
	for i, act := range order {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d %s", counts[act], act)
	}
	if s == "" {
		return "nothing"
	}
	return s
}
