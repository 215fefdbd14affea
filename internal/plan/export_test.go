package plan

import (
	"context"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
)

// Compute (for the e2e tests) plans the release of objs against the cluster of c: a
// server-side dry-run of every object in dependency order, compared with
// the live object; the objects of previous (the last revision, nil when
// there is no history) that objs lacks are pruned. Per-object dry-run
// failures are data (Change.DryRunError); an error is returned only when
// the cluster cannot be asked at all (*AccessError).
func Compute(ctx context.Context, c *kube.Clients, rel *config.Release, objs []manifest.Object, previous []manifest.Object) (*Plan, error) {
	return (&Planner{Clients: c}).Compute(ctx, rel, objs, previous)
}
