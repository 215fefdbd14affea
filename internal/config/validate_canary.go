package config

import (
	"fmt"
	"maps"
	"slices"
)

// canaryExample is what a canary's steps look like, for the messages.
const canaryExample = "canary: {steps: [{setWeight: 25}, {analysis: {duration: 30s}}, {setWeight: 50}, {pause: {duration: 30s}}]}"

// canary checks spec.strategy.canary: steps in an order that can run,
// weights that go up, analyses that name gates scoped to the canary's pods.
func (v *validator) canary(c *Canary, vf *Verify) {
	if c == nil || len(c.Steps) == 0 {
		v.fail("spec.strategy.canary.steps", "Canary needs at least one step, e.g. %s", canaryExample)
		return
	}
	weight := 0
	for i := range c.Steps {
		p := fmt.Sprintf("spec.strategy.canary.steps[%d]", i)
		st := &c.Steps[i]
		switch n := st.count(); {
		case n != 1:
			v.fail(p, "set exactly one of setWeight, pause or analysis (one step each), e.g. %s", canaryExample)
		case st.SetWeight != nil:
			w := *st.SetWeight
			switch {
			case w < 1 || w > 100:
				v.fail(p+".setWeight", "must be between 1 and 100 (percent of ready pods), not %d", w)
			case w <= weight:
				v.fail(p+".setWeight", "must be greater than the weight before (%d): weights go up", weight)
			case w == 100 && i != len(c.Steps)-1:
				v.fail(p+".setWeight", "100 promotes the new version and must be the last step; the steps after it belong to spec.verify and spec.stabilize")
			}
			if w <= 100 {
				weight = max(weight, w)
			}
		case weight == 0:
			v.fail(p, "comes before the first setWeight: there is no canary to hold or analyse yet; start with {setWeight: N}")
		case st.Pause != nil:
			// without a duration, the run ends paused until kship promote
			// or kship abort (a negative one is refused with every duration)
		default:
			v.analysis(p+".analysis", st.Analysis, vf)
		}
	}
	if c.TrafficShare != "" {
		lb, err := CheckQuery(c.TrafficShare, v.vars)
		if err != nil {
			v.fail("spec.strategy.canary.trafficShare", "%v", err)
		} else {
			c.TrafficLookback = lb
			v.scopedToCanary("spec.strategy.canary.trafficShare", c.TrafficShare)
		}
	}
}

func (st *CanaryStep) count() int {
	n := 0
	if st.SetWeight != nil {
		n++
	}
	if st.Pause != nil {
		n++
	}
	if st.Analysis != nil {
		n++
	}
	return n
}

// analysis checks one analysis step: a positive duration and gates of
// spec.verify.metrics whose queries select the canary's pods.
func (v *validator) analysis(p string, a *CanaryAnalysis, vf *Verify) {
	if a.Duration.Duration <= 0 {
		v.fail(p+".duration", "is required and must be positive: how long the gates are evaluated on the canary's pods")
	}
	if a.Interval.Duration < 0 {
		v.fail(p+".interval", "must be positive")
	}
	if vf.Metrics == nil || len(vf.Metrics.Gates) == 0 {
		v.fail(p, "needs gates: define them under spec.verify.metrics.gates, scoped with pod_template_hash=~\"{{.PodTemplateHash}}\"")
		return
	}
	names := v.namedGates(p, a, vf.Metrics.Gates)
	for i, g := range vf.Metrics.Gates {
		if a.Evaluates(g.Name) {
			v.scopedToCanary(fmt.Sprintf("spec.verify.metrics.gates[%d].query", i), g.Query)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.MaxAboveStable)) {
		switch {
		case !slices.Contains(names, name) || (len(a.Gates) > 0 && !slices.Contains(a.Gates, name)):
			v.fail(p+".maxAboveStable."+name, "names no gate this analysis evaluates (%s)", joinOr(analysisNames(names, a.Gates)))
		case a.MaxAboveStable[name] < 0:
			v.fail(p+".maxAboveStable."+name, "must not be negative: how far the canary's value may be above stable's")
		}
	}
}

// namedGates checks that each gate the analysis at p names is one of
// gates (spec.verify.metrics.gates) and returns the names of gates.
func (v *validator) namedGates(p string, a *CanaryAnalysis, gates []Gate) []string {
	var names []string
	for _, g := range gates {
		names = append(names, g.Name)
	}
	for j, name := range a.Gates {
		if !slices.Contains(names, name) {
			v.fail(fmt.Sprintf("%s.gates[%d]", p, j), "names no gate of spec.verify.metrics.gates (%s)", joinOr(names))
		}
	}
	return names
}

// analysisNames are the gates an analysis evaluates: those it names, or
// all.
func analysisNames(all, named []string) []string {
	if len(named) > 0 {
		return named
	}
	return all
}

// scopedToCanary refuses a query an analysis uses that does not select
// pods by {{.PodTemplateHash}}: it would judge stable's pods with the
// canary's.
func (v *validator) scopedToCanary(p, q string) {
	used, err := UsedVariables(q)
	if err != nil || slices.Contains(used, VarPodTemplateHash) {
		return // an unknown variable is reported where the query is checked
	}
	v.fail(p, "is evaluated on the canary's pods, so it must select them: add pod_template_hash=~\"{{.PodTemplateHash}}\" to its selectors (it expands to the canary's hash during the canary, the new pods' hash after promotion)")
}

func joinOr(names []string) string {
	switch len(names) {
	case 0:
		return "none"
	case 1:
		return names[0]
	}
	s := ""
	for i, n := range names {
		switch {
		case i == len(names)-1:
			s += " or " + n
		case i > 0:
			s += ", " + n
		default:
			s += n
		}
	}
	return s
}
