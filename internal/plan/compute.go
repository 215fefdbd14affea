package plan

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
)

// workers bounds the concurrent dry-run requests. The dry-run persists
// nothing, so the objects do not depend on each other's requests; results
// are still reported in dependency order.
const workers = 8

// Planner computes plans against one cluster.
type Planner struct {
	Clients *kube.Clients
	// PreviousRevision is the number of the revision previous came from
	// (0 when unknown); it is named in the rollback method.
	PreviousRevision int
	// ForceConflicts dry-runs as deploy --force-conflicts applies, taking
	// over fields other field managers own. Without it a conflict is
	// recorded on the change (Change.Conflict), found before any write.
	ForceConflicts bool
	// FieldManager is the field manager the release is written with
	// (default kube.FieldManager; the helm mechanism writes as Helm does):
	// the dry-runs use it, so they predict the write's conflicts exactly.
	FieldManager string
	// UpgradesClientSide says the write first moves the fields its field
	// manager owns through client-side updates (Update operations) to its
	// server-side apply, as Helm 4 does when it upgrades a release a Helm 3
	// client (or --server-side=false) wrote: a conflict with those fields
	// alone is not a conflict of the write.
	UpgradesClientSide bool
}

func (p *Planner) fieldManager() string {
	if p.FieldManager != "" {
		return p.FieldManager
	}
	return kube.FieldManager
}

// Compute is the package-level Compute with the planner's settings.
func (p *Planner) Compute(ctx context.Context, rel *config.Release, objs []manifest.Object, previous []manifest.Object) (*Plan, error) {
	sorted := manifest.SortForApply(objs)
	s, err := p.newSession(ctx, rel.Spec.Namespace, sorted)
	if err != nil {
		return nil, err
	}
	s.prefetch(ctx, sorted)
	obs := make([]observed, len(sorted))
	errs := make([]error, len(sorted))
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for i := range sorted {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			obs[i], errs[i] = s.observe(ctx, sorted[i])
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	pruned, err := s.prunes(ctx, objs, previous)
	if err != nil {
		return nil, err
	}
	return assemble(rel, append(obs, pruned...), previous != nil, p.PreviousRevision, p.Clients.Config.Host), nil
}

// Offline returns the plan of a release without a cluster: every object is
// listed as a create, nothing is dry-run, and the criteria are stated.
func Offline(rel *config.Release, objs []manifest.Object) *Plan {
	sorted := manifest.SortForApply(objs)
	obs := make([]observed, len(sorted))
	for i, o := range sorted {
		obs[i] = observed{obj: o, change: Change{Ref: o.Ref(), Source: o.Source, APIVersion: o.Obj.GetAPIVersion(),
			Action: ActionCreate, DryRun: DryRun{Mode: DryRunNone, Note: "offline: no cluster was asked; whether each object is a create or an update is unknown"}}}
	}
	return assemble(rel, obs, false, 0, "")
}

// assemble builds the Plan from the per-object observations.
func assemble(rel *config.Release, obs []observed, hasPrevious bool, prevRev int, host string) *Plan {
	p := &Plan{Release: rel.Metadata.Name, Namespace: rel.Spec.Namespace, Cluster: host, Changes: []Change{}, Risks: []Risk{},
		Defaults: rel.Defaulted}
	for _, o := range obs {
		p.Changes = append(p.Changes, o.change)
		p.Risks = append(p.Risks, risksOf(o)...)
	}
	p.Restarts = restarts(obs)
	p.Count()
	n := len(obs) - p.Counts[ActionPrune]
	p.Criteria = BuildCriteria(rel, n, hasPrevious, prevRev, p.Counts[ActionCreate])
	return p
}

// prunes lists the objects of previous that objs no longer has.
func (s *session) prunes(ctx context.Context, objs, previous []manifest.Object) ([]observed, error) {
	keep := map[manifest.Ref]bool{}
	for _, o := range objs {
		keep[o.Ref()] = true
	}
	var out []observed
	for _, o := range previous {
		if keep[o.Ref()] {
			continue
		}
		ob := observed{obj: o, change: Change{Ref: o.Ref(), Source: o.Source, APIVersion: o.Obj.GetAPIVersion(),
			Action: ActionPrune, DryRun: DryRun{Mode: DryRunNone}}}
		m, err := s.mapping(o.Obj)
		if err != nil {
			ob.change.DryRun.Note = fmt.Sprintf("the cluster no longer serves %s: nothing to delete", o.Obj.GetAPIVersion())
			out = append(out, ob)
			continue
		}
		live, err := s.get(ctx, m, o.Obj)
		if err != nil {
			return nil, err
		}
		ob.live = live
		ob.change.LiveDigest = LiveDigestOf(live)
		if live == nil {
			ob.change.DryRun.Note = "already absent from the cluster"
		}
		out = append(out, ob)
	}
	return out, nil
}

// mapping resolves the REST mapping of an object's kind and version.
func (s *session) mapping(u *unstructured.Unstructured) (*meta.RESTMapping, error) {
	gvk := u.GroupVersionKind()
	return s.c.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
}
