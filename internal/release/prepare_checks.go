package release

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/validate"
)

func schemaGK(r manifest.Ref) schema.GroupKind {
	return schema.GroupKind{Group: r.Group, Kind: r.Kind}
}

// addSeamsCheck refuses a mechanism or strategy the deploy executor does
// not have, in the words deploy refuses it, so kship check and kship
// deploy agree on what blocks.
func addSeamsCheck(r *validate.Report, rel *config.Release, c Catalog) {
	if why := c.check(rel); why != "" {
		r.Add(validate.Check{ID: validate.IDGuardrail, Title: "Guardrails", Status: validate.Fail,
			Message: why, Evidence: "spec.mechanism and spec.strategy.type of the release file"})
	}
}

// addStrategyChecks adds the blocking findings of the release's strategy's
// own check (a canary's track labels, autoscalers, budgets), so check and
// deploy refuse before the first write what the strategy could not run.
func addStrategyChecks(ctx context.Context, r *validate.Report, rel *config.Release, objs []manifest.Object, c Catalog, clients *kube.Clients) {
	_, strat := seamNames(rel)
	check, ok := c.Checks[strat]
	if !ok {
		return
	}
	for _, f := range check(ctx, clients, objs) {
		r.Add(validate.Check{ID: validate.IDGuardrail, Title: "Guardrails", Status: validate.Fail, Object: f.Object, Source: f.Source,
			Message: f.Message, Evidence: "strategy " + strat + " of the release file"})
	}
}
