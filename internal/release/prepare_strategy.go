package release

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/validate"
)

// prepareStrategy asks the release's strategy, when it has a part in Plan
// and Prepare (rollout.StrategyPreparer: blue-green's colors and preview
// Service), for the objects as it will really write them, its steps and
// its findings; nil for a strategy without one, or one the catalog lacks
// (the seams check refuses that).
func (o *PrepareOptions) prepareStrategy(ctx context.Context, rel *config.Release, objs []manifest.Object) (*rollout.StrategyPreparation, error) {
	_, name := seamNames(rel)
	build, ok := o.Catalog.Strategies[name]
	if !ok {
		return nil, nil
	}
	p, ok := build(rollout.Env{Clients: o.Clients, Now: o.Now}).(rollout.StrategyPreparer)
	if !ok {
		return nil, nil
	}
	prep, err := p.PrepareStrategy(ctx, rollout.Target{Release: rel, Namespace: rel.Spec.Namespace, Objects: objs, Live: o.Previous})
	if err != nil {
		return nil, fmt.Errorf("strategy %s: %w", name, err)
	}
	return prep, nil
}

// addStrategyPreparation adds the findings of the strategy's part in
// Prepare as blocking checks, so check and deploy refuse before the first
// write what the strategy could not run.
func addStrategyPreparation(r *validate.Report, p *Prepared) {
	if p.strategy == nil {
		return
	}
	_, name := seamNames(p.Release)
	for _, f := range p.strategy.Findings {
		r.Add(validate.Check{ID: validate.IDGuardrail, Title: "Guardrails", Status: validate.Fail, Object: f.Object, Source: f.Source,
			Message: f.Message, Evidence: "strategy " + name + " of the release file"})
	}
}
