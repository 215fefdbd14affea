package canary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// pauseState is what a paused canary records with its revision
// (rollout.Pause.State) to be resumed or abandoned by a later run: the
// stable Deployment exactly as the previous revision wrote it, the counts
// on each side, the weight being held and those held before.
type pauseState struct {
	Stable         json.RawMessage `json:"stable"`
	StableReplicas int             `json:"stableReplicas"`
	CanaryPods     int             `json:"canaryPods"`
	Hash           string          `json:"hash"`
	At             Step            `json:"at"`
	Held           []Step          `json:"held,omitempty"`
}

// pauseHere ends the run at step index i with the canary serving at its
// weight: a *rollout.PausedError that records where it is.
func (c *run) pauseHere(i int) error {
	stable, err := c.stable.Obj.MarshalJSON()
	if err != nil {
		return fmt.Errorf("record the pause: %w", err)
	}
	state, err := json.Marshal(pauseState{Stable: stable, StableReplicas: c.stableReplicas, CanaryPods: c.at.CanaryPods,
		Hash: c.hash, At: c.at, Held: c.held})
	if err != nil {
		return fmt.Errorf("record the pause: %w", err)
	}
	msg := fmt.Sprintf("canary at weight %d%%: %d pod(s) of %s beside %d of %s (%.0f%% of ready pods)",
		c.at.Weight, c.at.CanaryPods, c.canary.Ref(), c.stableReplicas, c.stable.Ref(), 100*c.at.PodShare)
	c.s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: step %d: paused until kship promote or kship abort: %s", i+1, msg))
	return &rollout.PausedError{Pause: rollout.Pause{Strategy: config.StrategyCanary, Step: i + 1, Steps: len(c.cfg.Steps), Weight: c.at.Weight,
		Message: msg, Objects: []manifest.Ref{c.canary.Ref()}, Workloads: []manifest.Ref{c.next.Ref()}, At: c.s.Env.Now(), State: state}}
}

// Resume continues a paused canary after its pause step (kship promote):
// the canary must still be Available at its weight, then the next steps
// run and the stable Deployment is promoted, as in Rollout. An error has
// aborted the canary and is a rollback trigger.
func (s *Strategy) Resume(ctx context.Context, r rollout.Run, p rollout.Pause) error {
	c, err := s.resumed(r, p)
	if err != nil {
		return err
	}
	s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: resuming after step %d of %d: %s", p.Step, p.Steps, p.Message))
	if err := r.Waiter.Ready(ctx, []manifest.Object{*c.canary}); err != nil {
		err = fmt.Errorf("canary aborted at step %d (weight %d%%): the canary is no longer Available after the pause: %w", p.Step, c.at.Weight, err)
		c.abort(ctx, err)
		return err
	}
	return c.from(ctx, p.Step)
}

// Abandon removes a paused canary (kship abort) and waits until its pods
// are gone; stable was never changed. The caller then restores the
// previous revision's other objects.
func (s *Strategy) Abandon(ctx context.Context, r rollout.Run, p rollout.Pause) error {
	c, err := s.resumed(r, p)
	if err != nil {
		return err
	}
	return c.abort(ctx, fmt.Errorf("kship abort while paused at step %d of %d", p.Step, p.Steps))
}

// resumed rebuilds the run of a paused canary from its record.
func (s *Strategy) resumed(r rollout.Run, p rollout.Pause) (*run, error) {
	if p.Strategy != config.StrategyCanary {
		return nil, fmt.Errorf("canary: the revision was paused by strategy %s, not %s", p.Strategy, config.StrategyCanary)
	}
	var st pauseState
	if err := json.Unmarshal(p.State, &st); err != nil || len(st.Stable) == 0 {
		return nil, errors.Join(errors.New("canary: the paused revision's record has no canary state"), err)
	}
	stable := &unstructured.Unstructured{}
	if err := stable.UnmarshalJSON(st.Stable); err != nil {
		return nil, fmt.Errorf("canary: the paused revision's stable Deployment: %w", err)
	}
	ds := rollout.Deployments(r.Objects)
	if len(ds) != 1 {
		return nil, fmt.Errorf("canary: the paused revision has %d Deployments; a canary release has exactly one", len(ds))
	}
	obj, err := CanaryObject(ds[0], st.CanaryPods)
	if err != nil {
		return nil, err
	}
	c := &run{s: s, r: r, cfg: r.Release.Spec.Strategy.Canary, next: ds[0], stable: manifest.Object{Obj: stable},
		stableReplicas: st.StableReplicas, canary: &obj, hash: st.Hash, at: st.At, held: st.Held}
	if err := c.prepare(); err != nil {
		return nil, err
	}
	return c, nil
}
