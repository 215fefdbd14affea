package config

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"
)

func (v *validator) metrics(m *Metrics) {
	if len(m.Gates) == 0 {
		v.fail("spec.verify.metrics.gates", "list at least one gate, or remove metrics")
	}
	if len(m.Gates) > 0 {
		v.httpURL("spec.verify.metrics.prometheus.address", m.Prometheus.Address)
	}
	names := map[string]int{}
	for i := range m.Gates {
		v.gate(fmt.Sprintf("spec.verify.metrics.gates[%d]", i), &m.Gates[i], names, i)
	}
}

func (v *validator) gate(p string, g *Gate, names map[string]int, i int) {
	v.uniqueName(p, g.Name, names, i)
	if g.Query == "" {
		v.fail(p+".query", "is required: a PromQL instant query returning one number")
	} else if lb, err := CheckQuery(g.Query, v.vars); err != nil {
		v.fail(p+".query", "%v", err)
	} else {
		g.Lookback = lb
	}
	if g.Min == nil && g.Max == nil && g.MaxIncrease == nil {
		v.fail(p, "set at least one threshold: min, max or maxIncrease")
	}
	if g.Min != nil && g.Max != nil && *g.Min > *g.Max {
		v.fail(p+".min", "%g is above max %g: no value can pass", *g.Min, *g.Max)
	}
	if g.MaxIncrease != nil && *g.MaxIncrease < 0 {
		v.fail(p+".maxIncrease", "must not be negative (it is the largest allowed rise over the baseline)")
	}
	switch g.NoData {
	case NoDataFail, NoDataPass, NoDataInconclusive:
	default:
		v.fail(p+".noData", "must be %s, %s or %s, not %q", NoDataFail, NoDataPass, NoDataInconclusive, g.NoData)
	}
	if g.MinSamples < 1 {
		v.fail(p+".minSamples", "must be at least 1")
	}
}

func (v *validator) stabilize(s *Stabilize) {
	if s.Interval.Duration <= 0 {
		v.fail("spec.stabilize.interval", "must be positive")
	}
	if s.Window.Duration > 0 && s.Interval.Duration > s.Window.Duration {
		v.fail("spec.stabilize.interval", "%s is longer than the window %s: the gates would never be evaluated", s.Interval, s.Window)
	}
}

func (v *validator) migrations(ms []Migration) {
	jobs := map[string]int{}
	for i, m := range ms {
		p := fmt.Sprintf("spec.migrations[%d]", i)
		v.jobName(p+".job", m.Job)
		if j, dup := jobs[m.Job]; dup && m.Job != "" {
			v.fail(p+".job", "%q is already migration %d", m.Job, j)
		}
		jobs[m.Job] = i
		switch m.Type {
		case MigrationReversible:
			if m.Down == "" {
				v.fail(p+".down", "is required for a reversible migration: the Job (in the bundle) that reverses it")
			} else if v.jobName(p+".down", m.Down); m.Down == m.Job {
				v.fail(p+".down", "must be a different Job than the migration itself")
			}
		case MigrationForwardOnly, MigrationDestructive:
			if m.Down != "" {
				v.fail(p+".down", "only applies to type %s; make the migration reversible or remove down", MigrationReversible)
			}
		default:
			v.fail(p+".type", "must be %s, %s or %s, not %q", MigrationForwardOnly, MigrationReversible, MigrationDestructive, m.Type)
		}
	}
}

func (v *validator) jobName(p, name string) {
	if name == "" {
		v.fail(p, "is required: the metadata.name of a Job in the bundle")
		return
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		v.fail(p, "%q is not a valid Job name: %s", name, errs[0])
	}
}

// explicitZeros reports durations and counts written as 0 where 0 is not
// allowed; left out, they would get their default instead.
func (v *validator) explicitZeros(r *Release) {
	s := &r.Spec
	zero := map[string]bool{
		"spec.verify.rolloutTimeout":       s.Verify.RolloutTimeout.Duration == 0,
		"spec.stabilize.interval":          s.Stabilize.Interval.Duration == 0,
		"spec.detector.unschedulableGrace": s.Detector.UnschedulableGrace.Duration == 0,
		"spec.detector.restartThreshold":   s.Detector.RestartThreshold == 0,
	}
	if bg := s.Strategy.BlueGreen; bg != nil {
		zero["spec.strategy.blueGreen.scaleDownDelay"] = bg.ScaleDownDelay.Duration == 0
	}
	for i, c := range s.Verify.Smoke {
		zero[fmt.Sprintf("spec.verify.smoke[%d].timeout", i)] = c.Timeout.Duration == 0
	}
	if s.Verify.Metrics != nil {
		zero["spec.verify.metrics.prometheus.scrapeInterval"] = s.Verify.Metrics.Prometheus.ScrapeInterval.Duration == 0
		for i, g := range s.Verify.Metrics.Gates {
			zero[fmt.Sprintf("spec.verify.metrics.gates[%d].minSamples", i)] = g.MinSamples == 0
		}
	}
	for path, isZero := range zero {
		if _, written := v.lines[path]; written && isZero {
			v.fail(path, "must be positive; leave it out for the default")
		}
	}
}
