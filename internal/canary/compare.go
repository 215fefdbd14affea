package canary

import (
	"context"
	"fmt"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
)

// Comparison is one evaluation of an analysis' maxAboveStable: a gate's
// value on the canary's pods against the same query on stable's pods, at
// the same time over the same window (the payload of event.TypeCanary).
type Comparison struct {
	Gate        string       `json:"gate"`
	Time        time.Time    `json:"time"`
	CanaryHash  string       `json:"canaryHash"`
	StableHash  string       `json:"stableHash"`
	CanaryQuery string       `json:"canaryQuery"`
	StableQuery string       `json:"stableQuery"`
	Canary      *float64     `json:"canary,omitempty"`
	Stable      *float64     `json:"stable,omitempty"`
	MaxAbove    float64      `json:"maxAboveStable"`
	Verdict     gate.Verdict `json:"verdict"`
	Message     string       `json:"message"`
}

// EventType is event.TypeCanary.
func (Comparison) EventType() event.Type { return event.TypeCanary }

// compare measures gate g on stable's pods at the time m (its measurement
// on the canary's pods) was taken and judges the canary's value against
// stable's plus maxAbove. No data on either side is inconclusive.
func (c *run) compare(ctx context.Context, g config.Gate, m gate.Measurement, maxAbove float64) Comparison {
	cmp := Comparison{Gate: g.Name, Time: m.Time, CanaryHash: c.hash, CanaryQuery: m.Query, Canary: m.Value, MaxAbove: maxAbove, Verdict: gate.Inconclusive}
	if c.stableHash == "" {
		h, err := c.hashOf(ctx, c.stable)
		if err != nil {
			cmp.Message = "stable's pods could not be named: " + err.Error()
			return cmp
		}
		c.stableHash = h
	}
	cmp.StableHash = c.stableHash
	if m.Value == nil {
		cmp.Message = "no value on the canary's pods to compare: " + m.Message
		return cmp
	}
	vars := c.vars()
	vars.PodTemplateHashes = []string{c.stableHash}
	q, err := config.ExpandQuery(g.Query, vars)
	if err != nil {
		cmp.Message = "stable's query: " + err.Error()
		return cmp
	}
	cmp.StableQuery = q
	qctx, cancel := context.WithTimeout(ctx, gate.DefaultQueryTimeout)
	defer cancel()
	v, err := c.q.Query(qctx, q, m.Time)
	if err != nil {
		cmp.Message = "stable's query: " + err.Error()
		return cmp
	}
	series, err := gate.Flatten(v)
	if err != nil || len(series) == 0 {
		cmp.Message = fmt.Sprintf("stable's pods (pod-template-hash %s) gave no data at %s: nothing to compare the canary with", c.stableHash, m.Time.UTC().Format(time.TimeOnly))
		return cmp
	}
	stable := series[0].Value
	cmp.Stable = &stable
	cmp.Verdict = gate.Pass
	op := "<="
	if *m.Value > stable+maxAbove {
		cmp.Verdict, op = gate.Fail, ">"
	}
	cmp.Message = fmt.Sprintf("%s on the canary's pods = %.4g %s stable's %.4g + %g (same query, same window at %s): %s",
		g.Name, *m.Value, op, stable, maxAbove, m.Time.UTC().Format(time.TimeOnly), cmp.Verdict)
	return cmp
}

// emitComparison records a comparison in the stream.
func (c *run) emitComparison(cmp Comparison) {
	if c.s.Env.Sink != nil {
		c.s.Env.Sink.Emit(event.Event{Time: c.s.Env.Now(), Stage: event.StageRollout, Type: event.TypeCanary, Object: c.canary.Ref().String(),
			Message: "canary: compared with stable: " + cmp.Message, Data: cmp})
	}
}
