package canary

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// PrepareStrategy is the canary's part of Plan (rollout.StrategyPreparer):
// the objects are the rendered ones (the canary and previous Deployments
// are the rollout's own), and the steps say what each step writes: the
// canary's pods beside stable's at each weight, each pause and analysis,
// the promotion and what is kept until Stabilize is over. Its findings are
// Check's (Catalog.Checks), not repeated here.
func (s *Strategy) PrepareStrategy(ctx context.Context, t rollout.Target) (*rollout.StrategyPreparation, error) {
	p := &rollout.StrategyPreparation{Objects: t.Objects}
	ds := rollout.Deployments(t.Objects)
	cfg := t.Release.Spec.Strategy.Canary
	if len(ds) != 1 || cfg == nil {
		return p, nil
	}
	d := ds[0]
	bundle, live := s.autoscalers(ctx, t.Objects, d)
	as := append(bundle, live...)
	p.Objects = unscaled(t.Objects, d, len(as) > 0)
	prev, ok := manifest.Find(t.Live, d.Ref())
	switch {
	case !ok:
		p.Steps = []string{fmt.Sprintf("%s has no stable version yet (first release): written at once, no canary", d.Ref())}
	case equality.Semantic.DeepEqual(templateOf(prev), templateOf(d)):
		p.Steps = []string{fmt.Sprintf("the pod template of %s is unchanged: written at once, no canary", d.Ref())}
	default:
		stable := s.stableReplicas(ctx, prev)
		p.Steps = append(Steps(d, cfg, stable, t.Objects), Autoscaling(d, dedupe(as), stable, t.Objects)...)
		return p, nil
	}
	if len(as) > 0 {
		p.Steps = append(p.Steps, fmt.Sprintf("autoscaled: %s scales %s: kship never writes its replicas", refsOf(dedupe(as)), d.Ref()))
	}
	return p, nil
}

// dedupe is as without a second entry of one autoscaler (the release's
// and the cluster's), the release's kept.
func dedupe(as []rollout.Autoscaler) []rollout.Autoscaler {
	var out []rollout.Autoscaler
	seen := map[manifest.Ref]bool{}
	for _, a := range as {
		if !seen[a.Ref] {
			seen[a.Ref] = true
			out = append(out, a)
		}
	}
	return out
}

func refsOf(as []rollout.Autoscaler) string {
	names := make([]string, 0, len(as))
	for _, a := range as {
		names = append(names, a.String())
	}
	return strings.Join(names, ", ")
}

// Steps describes a canary's steps for the plan, with stable at stable
// replicas.
func Steps(d manifest.Object, cfg *config.Canary, stable int, objs []manifest.Object) []string {
	canaryRef := d.Ref()
	canaryRef.Name = Name(d.Obj.GetName())
	prevRef := d.Ref()
	prevRef.Name = PreviousName(d.Obj.GetName())
	var out []string
	weight := 0
	for i, st := range cfg.Steps {
		n := i + 1
		switch {
		case st.SetWeight != nil && *st.SetWeight < 100:
			weight = *st.SetWeight
			c := Count(stable, weight)
			out = append(out, fmt.Sprintf("step %d: setWeight %d%%: %s scaled to %d pods beside %d stable pods of %s (%.0f%% of ready pods); reached when they are Available",
				n, weight, canaryRef, c, stable, d.Ref(), 100*Share(stable, c)))
		case st.Pause != nil && st.Pause.Duration.Duration > 0:
			out = append(out, fmt.Sprintf("step %d: pause: hold %d%% for %s", n, weight, st.Pause.Duration))
		case st.Pause != nil:
			out = append(out, fmt.Sprintf("step %d: pause: the run ends paused at %d%% (exit 6) until kship promote or kship abort", n, weight))
		case st.Analysis != nil:
			out = append(out, fmt.Sprintf("step %d: analysis for %s every %s on the canary's pods: %s", n, st.Analysis.Duration, st.Analysis.Interval, analysisWhat(st.Analysis)))
		}
	}
	_, svcs, _ := OnTrack(objs, d, TrackStable)
	out = append(out,
		fmt.Sprintf("promotion: %s gets the new template (its own rolling update) while the canary serves; once it is Available, %s is removed, %s select only %s: %s, and %s starts %d pods of the previous template out of traffic",
			d.Ref(), canaryRef, refList(svcs), TrackLabel, TrackStable, prevRef, stable),
		fmt.Sprintf("after Stabilize: %s removed and %s written as the release has them; a Verify or Stabilize failure first switches %s to %s at once", prevRef, refList(svcs), refList(svcs), prevRef),
		fmt.Sprintf("abort at any step: %s removed, %s left as the previous revision wrote it", canaryRef, d.Ref()))
	return out
}

// analysisWhat names an analysis' gates and its comparisons with stable.
func analysisWhat(a *config.CanaryAnalysis) string {
	what := "every gate"
	if len(a.Gates) > 0 {
		what = "gates " + strings.Join(a.Gates, ", ")
	}
	for _, g := range slices.Sorted(maps.Keys(a.MaxAboveStable)) {
		what += fmt.Sprintf("; %s at most %g above stable's pods", g, a.MaxAboveStable[g])
	}
	return what
}
