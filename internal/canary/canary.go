// Package canary is the canary strategy (spec.strategy.type Canary),
// without a controller in the cluster: the new pod template runs in a
// second Deployment (<name>-canary) beside the stable one, their pods kept
// apart by the track label (kship.dev/track: stable | canary) while the
// Service selects both, so traffic splits by ready pods. Each setWeight
// step scales the canary to the count closest to the weight, stable keeping
// its count, and is reached when the canary's pods are Available; an
// analysis step evaluates gates on the canary's pods only, over windows of
// data they produced at that weight (package gate); a pause holds. After
// the last step (or at setWeight 100) the stable Deployment is promoted to
// the new template and the canary removed once stable is Available; Verify
// and Stabilize follow as for any release. Any failure aborts: the canary
// is removed, stable was never changed, and the error is the rollback
// trigger that restores the rest of the previous revision.
//
// It imports config, event, gate, manifest and rollout: the release file,
// the stream it reports steps in, the gates it analyses with, objects and
// the seam it implements.
package canary

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// Strategy is the canary strategy of one run.
type Strategy struct {
	Env rollout.Env
	// Querier runs the analyses' and the traffic share's queries; nil
	// means the release file's Prometheus.
	Querier gate.Querier

	// kept is the previous Deployment a promotion left running until
	// Stabilize is over (Settle or Revert ends it).
	kept *kept
}

// New returns the canary strategy of a run.
func New(env rollout.Env) *Strategy { return &Strategy{Env: env} }

// Rollout runs the canary's steps, then promotes; an error (the canary
// aborted, already removed) is a rollback trigger.
func (s *Strategy) Rollout(ctx context.Context, r rollout.Run) error {
	ds := rollout.Deployments(r.Objects)
	if len(ds) != 1 {
		return fmt.Errorf("canary: the release has %d Deployments; a canary release has exactly one", len(ds))
	}
	d := ds[0]
	// A run killed before Settle or Revert left its previous Deployment:
	// it goes before the first write, which selects as the release does.
	if err := s.removeLeftovers(ctx, event.StageRollout, ds); err != nil {
		return err
	}
	prev, ok := manifest.Find(r.Live, d.Ref())
	switch {
	case !ok:
		s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: %s has no stable version yet (first release): written at once, no canary", d.Ref()))
		return r.WriteReady(ctx, r.Target)
	case equality.Semantic.DeepEqual(templateOf(prev), templateOf(d)):
		s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: the pod template of %s is unchanged: nothing to run a canary of, written at once", d.Ref()))
		if err := s.handOver(ctx, d); err != nil {
			return err
		}
		return r.WriteReady(ctx, r.Target)
	}
	// An autoscaler that scales stable now owns its replicas: stable is
	// written without them during the steps too.
	_, live := s.autoscalers(ctx, nil, d)
	scaled := len(live) > 0 || len(rollout.AutoscalersOf(r.Live, d.Obj.GetName())) > 0
	if scaled {
		prev = rollout.WithoutReplicas(prev)
	}
	c := &run{s: s, r: r, cfg: r.Release.Spec.Strategy.Canary, next: d, stable: prev, stableReplicas: s.stableReplicas(ctx, prev)}
	if err := c.prepare(); err != nil {
		return err
	}
	return c.from(ctx, 0)
}

// from runs the steps from index first on, then promotes; a pause without
// a duration returns a *rollout.PausedError with the canary left running.
func (c *run) from(ctx context.Context, first int) error {
	if err := c.steps(ctx, first); err != nil {
		var paused *rollout.PausedError
		if errors.As(err, &paused) {
			return err
		}
		c.abort(ctx, err)
		return err
	}
	return c.promote(ctx)
}

// stableReplicas is the live stable Deployment's replica count (the
// manifest's when it cannot be read).
func (s *Strategy) stableReplicas(ctx context.Context, stable manifest.Object) int {
	if s.Env.Clients != nil {
		live, err := s.Env.Clients.Typed.AppsV1().Deployments(stable.Obj.GetNamespace()).Get(ctx, stable.Obj.GetName(), metav1.GetOptions{})
		if err == nil && live.Spec.Replicas != nil {
			return int(*live.Spec.Replicas)
		}
	}
	return replicasOf(stable)
}

// run is one canary rollout.
type run struct {
	s              *Strategy
	r              rollout.Run
	cfg            *config.Canary
	next, stable   manifest.Object
	stableReplicas int
	q              gate.Querier

	// canary is the canary Deployment as last written (nil before the
	// first step); hash its pods' pod-template-hash.
	canary *manifest.Object
	hash   string
	// stableHash is stable's pods' pod-template-hash, learned by the
	// first comparison with stable.
	stableHash string
	// at is the step being run, reached when its weight was.
	at Step
	// held are the weights left, for the summary.
	held []Step
}

func (c *run) prepare() error {
	if c.cfg == nil || len(c.cfg.Steps) == 0 {
		return errors.New("canary: spec.strategy.canary.steps is empty")
	}
	c.q = c.s.Querier
	if c.q != nil || !c.needsPrometheus() {
		return nil
	}
	m := c.r.Release.Spec.Verify.Metrics
	q, err := gate.NewPrometheus(m.Prometheus.Address)
	if err != nil {
		return fmt.Errorf("canary: %w", err)
	}
	c.q = q
	return nil
}

func (c *run) needsPrometheus() bool {
	if c.cfg.TrafficShare != "" {
		return true
	}
	for _, st := range c.cfg.Steps {
		if st.Analysis != nil {
			return true
		}
	}
	return false
}

// steps runs the steps from index first up to the promotion.
func (c *run) steps(ctx context.Context, first int) error {
	for i, st := range c.cfg.Steps {
		if i < first {
			continue
		}
		var err error
		switch {
		case st.SetWeight != nil && *st.SetWeight >= 100:
			return nil
		case st.SetWeight != nil:
			err = c.setWeight(ctx, i, *st.SetWeight)
		case st.Pause != nil:
			err = c.pause(ctx, i, st.Pause.Duration.Duration)
		case st.Analysis != nil:
			err = c.analyze(ctx, i, st.Analysis)
		}
		var paused *rollout.PausedError
		if errors.As(err, &paused) {
			return err
		}
		if err != nil {
			return fmt.Errorf("canary aborted at step %d (weight %d%%): %w", i+1, c.at.Weight, err)
		}
	}
	return nil
}

// setWeight scales the canary to weight and waits until its pods are
// Available; stable is written exactly as the previous revision had it.
func (c *run) setWeight(ctx context.Context, i, weight int) error {
	if err := c.s.handOver(ctx, c.stable); err != nil {
		return err
	}
	c.stableReplicas = c.s.stableReplicas(ctx, c.stable)
	n := Count(c.stableReplicas, weight)
	obj, err := CanaryObject(c.next, n)
	if err != nil {
		return err
	}
	c.leave(ctx)
	c.canary = &obj
	t := c.r.Target
	t.Objects = c.stepObjects(c.stable, obj)
	if err := c.r.WriteReady(ctx, t); err != nil {
		return err
	}
	if c.hash, err = c.canaryHash(ctx); err != nil {
		return err
	}
	c.at = Step{Step: i + 1, Weight: weight, CanaryPods: n, StablePods: c.stableReplicas,
		PodShare: Share(c.stableReplicas, n), CanaryHash: c.hash, Reached: c.s.Env.Now()}
	c.emit(c.at, fmt.Sprintf("canary: step %d reached: weight %d%%: %d canary pods Available beside %d stable (%.0f%% of ready pods)",
		c.at.Step, weight, n, c.stableReplicas, 100*c.at.PodShare))
	return nil
}

// pause holds the weight for d, then checks the pods are still ready;
// without a duration it ends the run paused (pauseHere).
func (c *run) pause(ctx context.Context, i int, d time.Duration) error {
	if d == 0 {
		return c.pauseHere(i)
	}
	c.s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: step %d: holding weight %d%% for %s", i+1, c.at.Weight, d))
	if err := sleep(ctx, d); err != nil {
		return err
	}
	return c.r.Waiter.Ready(ctx, []manifest.Object{*c.canary})
}

// abort removes the canary (stable was never changed) and says so; the
// caller's error then triggers the rollback of the other objects. It
// returns why the canary could not be removed.
func (c *run) abort(ctx context.Context, why error) error {
	started := c.s.Env.Now()
	c.leave(ctx)
	if c.canary == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	t := c.r.Target
	t.Objects, t.Live = []manifest.Object{c.stable}, []manifest.Object{*c.canary}
	if _, err := c.r.Writer.Write(ctx, t); err != nil {
		err = fmt.Errorf("removing %s failed: %w", c.canary.Ref(), err)
		c.s.Env.Decide(event.StageRollout, "canary: abort: "+err.Error())
		return err
	}
	err := c.podsGone(ctx)
	msg := fmt.Sprintf("aborted (%v): %s removed, %s left as the previous revision wrote it (it never changed)%s",
		why, c.canary.Ref(), c.stable.Ref(), c.summary())
	if err != nil {
		msg += "; " + err.Error()
	}
	c.emitEnding(Ending{Started: started, Failed: why.Error(), Message: msg})
	return err
}

// promote rolls stable to the new template with the canary still serving,
// then removes the canary once stable is Available.
func (c *run) promote(ctx context.Context) error {
	started := c.s.Env.Now()
	c.leave(ctx)
	t := c.r.Target
	if c.canary != nil {
		t.Objects = append(append([]manifest.Object(nil), c.r.Objects...), *c.canary)
	}
	c.s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: promoting: %s gets the new template (its own rolling update), the canary keeps serving until it is Available", c.next.Ref()))
	err := c.s.handOver(ctx, c.next)
	if err == nil {
		err = c.r.WriteReady(ctx, t)
	}
	if err != nil {
		c.abort(ctx, err)
		return fmt.Errorf("canary: promotion of %s failed: %w", c.next.Ref(), err)
	}
	if c.canary == nil {
		return nil
	}
	if err := c.keepPrevious(ctx); err != nil {
		return fmt.Errorf("canary: remove %s after the promotion: %w", c.canary.Ref(), err)
	}
	c.emitEnding(Ending{Promoted: true, Started: started, Message: fmt.Sprintf("promoted: %s runs the new template, %s removed%s", c.next.Ref(), c.canary.Ref(), c.summary())})
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
