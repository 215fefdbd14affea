package gate

import (
	"context"
	"time"

	"github.com/kship/kship/internal/config"
)

// diagnose asks Prometheus why query had no data at `at`: a ratio's
// numerator and denominator on their own, then, for the side (or query)
// that is empty, every selector by its metric name alone, as written, with
// each matcher left out, and its samples in the range. When only the
// numerator of a ratio of sums is empty, it returns the ratio's value, 0,
// for each series of the denominator. All probes together are bounded by
// one query timeout.
func (e *Evaluator) diagnose(ctx context.Context, query string, at time.Time) (Diagnosis, []Series) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	expr, err := config.ParseQuery(query)
	if err != nil {
		return Diagnosis{Reason: ReasonUnknown, Message: "kship could not parse the query to find out why: " + err.Error()}, nil
	}
	var probes []Probe
	results := map[string]probeResult{}
	run := func(q string) probeResult {
		if r, ok := results[q]; ok {
			return r
		}
		series, err := e.query(ctx, q, at)
		r := probeResult{series: series, err: err}
		results[q] = r
		p := Probe{Query: q, Series: series}
		if err != nil {
			p.Error = err.Error()
		}
		probes = append(probes, p)
		return r
	}
	target, prefix := expr, ""
	if r, ok := splitRatio(expr); ok {
		out := explainRatio(r, run(r.num.String()), run(r.den.String()))
		if out.done {
			out.d.Probes = probes
			return out.d, out.zero
		}
		target, prefix = out.next, out.prefix
	}
	plans := planSelectors(target)
	for _, p := range plans {
		for _, q := range p.queries() {
			run(q)
		}
	}
	d := explainSelectors(plans, results)
	if prefix != "" {
		d.Message = prefix + ": " + d.Message
	}
	d.Probes = probes
	return d, nil
}
