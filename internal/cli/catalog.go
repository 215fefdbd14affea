package cli

import (
	"context"

	"github.com/kship/kship/internal/apply"
	"github.com/kship/kship/internal/bluegreen"
	"github.com/kship/kship/internal/canary"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/gitops"
	"github.com/kship/kship/internal/helm"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/rolling"
	"github.com/kship/kship/internal/rollout"
)

// Catalog is every rollout mechanism and strategy of this build, by the
// names the release file gives them (spec.mechanism, spec.strategy.type).
// Adding one is its own package and its line here; release does not change.
func Catalog() release.Catalog {
	return release.Catalog{
		Mechanisms: map[string]func(rollout.Env) release.Mechanism{
			config.MechanismApply:  func(e rollout.Env) release.Mechanism { return apply.NewMechanism(e) },
			config.MechanismHelm:   func(e rollout.Env) release.Mechanism { return helm.NewMechanism(e) },
			config.MechanismGitOps: func(e rollout.Env) release.Mechanism { return gitops.NewMechanism(e) },
		},
		Strategies: map[string]func(rollout.Env) release.Strategy{
			config.StrategyRolling:   func(e rollout.Env) release.Strategy { return rolling.New(e) },
			config.StrategyCanary:    func(e rollout.Env) release.Strategy { return canary.New(e) },
			config.StrategyBlueGreen: func(e rollout.Env) release.Strategy { return bluegreen.New(e) },
		},
		Checks: map[string]func(context.Context, *kube.Clients, []manifest.Object) []rollout.Finding{
			config.StrategyCanary: func(ctx context.Context, c *kube.Clients, objs []manifest.Object) []rollout.Finding {
				if c == nil {
					return canary.Check(ctx, nil, objs)
				}
				return canary.Check(ctx, c.Typed, objs)
			},
		},
	}
}
