package cli

import (
	"github.com/kship/kship/internal/apply"
	"github.com/kship/kship/internal/config"
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
			config.MechanismApply: func(e rollout.Env) release.Mechanism { return apply.NewMechanism(e) },
		},
		Strategies: map[string]func(rollout.Env) release.Strategy{
			config.StrategyRolling: func(e rollout.Env) release.Strategy { return rolling.New(e) },
		},
	}
}
