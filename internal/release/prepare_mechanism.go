package release

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/validate"
)

// renderSource renders the release's source, with what it renders that is
// not applied as an object (Helm hooks), so the checks list it.
func renderSource(ctx context.Context, rel *config.Release, mapper meta.RESTMapper) ([]manifest.Object, []manifest.Skipped, error) {
	r, err := manifest.Render(ctx, rel, mapper)
	if err != nil {
		return nil, nil, err
	}
	return r.Objects, r.Skipped, nil
}

// prepareMechanism asks the release's mechanism, when it has a part in
// Plan and Prepare (rollout.Preparer), for it: the objects as it will
// write them and its field manager (the plan's dry-runs use both), its
// plan line and its checks. nil for a mechanism without one, or one the
// catalog lacks (the seams check refuses that).
func (o *PrepareOptions) prepareMechanism(ctx context.Context, rel *config.Release, objs []manifest.Object) (*rollout.Preparation, error) {
	name, _ := seamNames(rel)
	build, ok := o.Catalog.Mechanisms[name]
	if !ok {
		return nil, nil
	}
	p, ok := build(rollout.Env{Clients: o.Clients, Now: o.Now}).(rollout.Preparer)
	if !ok {
		return nil, nil
	}
	prep, err := p.Prepare(ctx, rollout.Target{Release: rel, Namespace: rel.Spec.Namespace, Objects: objs, Live: o.Previous})
	if err != nil {
		return nil, fmt.Errorf("mechanism %s: %w", name, err)
	}
	return prep, nil
}

// addMechanismChecks adds the mechanism's checks and one item per thing
// the source renders that is not applied as an object (Helm hooks: run by
// Helm with mechanism helm, left out otherwise), so nothing is dropped
// silently.
func addMechanismChecks(r *validate.Report, p *Prepared) {
	if m := p.mechanism; m != nil {
		for _, c := range m.Checks {
			st := validate.Pass
			switch {
			case c.Blocking:
				st = validate.Fail
			case c.Warning:
				st = validate.Warn
			}
			r.Add(validate.Check{ID: validate.IDGuardrail, Title: "Guardrails", Status: st, Message: c.Message, Evidence: c.Evidence})
		}
	}
	for _, s := range p.skipped {
		st := validate.Warn
		if p.Release.Spec.Mechanism == config.MechanismHelm {
			st = validate.Pass
		}
		r.Add(validate.Check{ID: validate.IDGuardrail, Title: "Helm hooks", Status: st, Object: s.Ref, Source: s.Source,
			Message: fmt.Sprintf("%s: %s", s.Ref, s.Reason), Evidence: "rendered by Helm's SDK from the chart (helm.sh/hook annotation)"})
	}
}
