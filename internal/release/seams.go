package release

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollback"
	"github.com/kship/kship/internal/rollout"
)

// The Rollout stage has two seams, each an interface defined here where it
// is used and implemented by a package of its own (docs/architecture.md):
// what crosses them is in package rollout. Adding a mechanism or a
// strategy adds a package and its line in the caller's Catalog; release
// itself does not change.

// Mechanism is how a revision's objects reach the cluster (Write) and how
// an earlier revision is restored (Restore, which the rollback stage calls):
// kship's server-side apply (package apply), a Helm release (package helm)
// or a git commit Flux or Argo CD applies (package gitops).
type Mechanism interface {
	rollout.Writer
	rollback.Restorer
}

// Strategy is how the new version replaces the old: rolling, canary or
// blue-green (packages rolling, canary, bluegreen). It writes through the
// mechanism and waits with the failure detector; an error is a rollback
// trigger.
type Strategy interface {
	Rollout(ctx context.Context, r rollout.Run) error
}

// Resumer is a strategy that can stop part way for a human (its Rollout
// returns a *rollout.PausedError: the revision is recorded as paused) and
// be continued or abandoned by a later run under the lock: kship promote
// calls Resume, kship abort calls Abandon, then the rollback stage restores
// the previous revision as after any failed rollout.
type Resumer interface {
	// Resume continues the rollout after p with the paused revision's
	// objects and release file; as for Rollout, an error is a rollback
	// trigger and a *rollout.PausedError a further pause.
	Resume(ctx context.Context, r rollout.Run, p rollout.Pause) error
	// Abandon removes what the strategy runs beside the previous revision
	// (p.Objects) and waits until it is gone.
	Abandon(ctx context.Context, r rollout.Run, p rollout.Pause) error
}

// Settler is a strategy that keeps something of the previous revision
// running until Stabilize is over (the canary's previous pods: an instant
// way back). Settle removes it once Verify and Stabilize passed; Revert
// goes back to it at once when they failed (why), before the rollback
// stage restores and verifies the rest of the previous revision. Neither
// error changes the verdict: each is said in the stream.
type Settler interface {
	Settle(ctx context.Context, r rollout.Run) error
	Revert(ctx context.Context, r rollout.Run, why string) error
}

// Catalog names the mechanisms and strategies a build of kship has, by the
// names the release file gives them (spec.mechanism, spec.strategy.type).
// Each builds the implementation for one run.
type Catalog struct {
	Mechanisms map[string]func(rollout.Env) Mechanism
	Strategies map[string]func(rollout.Env) Strategy
	// Checks are a strategy's own blocking checks, by strategy name: what
	// in the release's objects would break it, each with its fix. clients
	// is nil offline.
	Checks map[string]func(ctx context.Context, clients *kube.Clients, objs []manifest.Object) []rollout.Finding
}

// check says what the release file asks for that the catalog does not
// have; "" when it has both.
func (c Catalog) check(rel *config.Release) string {
	mech, strat := seamNames(rel)
	var missing []string
	if _, ok := c.Mechanisms[mech]; !ok {
		missing = append(missing, fmt.Sprintf("mechanism %s is not supported yet: set spec.mechanism to %s", mech, catalogNames(c.Mechanisms)))
	}
	if _, ok := c.Strategies[strat]; !ok {
		missing = append(missing, fmt.Sprintf("strategy %s is not supported yet: set spec.strategy.type to %s", strat, catalogNames(c.Strategies)))
	}
	return strings.Join(missing, "; ")
}

// seams builds the mechanism and strategy of a release for one run.
func (c Catalog) seams(rel *config.Release, env rollout.Env) (Mechanism, Strategy, error) {
	if why := c.check(rel); why != "" {
		return nil, nil, &RefusedError{Reason: why + "; nothing was applied"}
	}
	mech, strat := seamNames(rel)
	return c.Mechanisms[mech](env), c.Strategies[strat](env), nil
}

// mechanism builds the mechanism a release file names (a rollback restores
// through the mechanism the revision was deployed with).
func (c Catalog) mechanism(rel *config.Release, env rollout.Env) (Mechanism, error) {
	name, _ := seamNames(rel)
	m, ok := c.Mechanisms[name]
	if !ok {
		return nil, &RefusedError{Reason: fmt.Sprintf("mechanism %s is not supported yet: set spec.mechanism to %s; nothing was changed", name, catalogNames(c.Mechanisms))}
	}
	return m(env), nil
}

// seamNames are the mechanism and strategy a release file names, its
// defaults where it names none (a release file loaded without defaults).
func seamNames(rel *config.Release) (mechanism, strategy string) {
	mechanism, strategy = rel.Spec.Mechanism, rel.Spec.Strategy.Type
	if mechanism == "" {
		mechanism = config.MechanismApply
	}
	if strategy == "" {
		strategy = config.StrategyRolling
	}
	return mechanism, strategy
}

// catalogNames lists a catalog table's names, sorted, as "a or b".
func catalogNames[T any](m map[string]T) string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "(none in this build)"
	}
	return strings.Join(out, " or ")
}
