package gate

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
)

// DefaultQueryTimeout bounds one query when Evaluator.Timeout is 0.
const DefaultQueryTimeout = 10 * time.Second

// Evaluator measures gates over a release's Verify and Stabilize stages. It
// counts, per gate, the evaluations with data it has seen (for minSamples),
// so one Evaluator serves one release attempt.
type Evaluator struct {
	Q   Querier
	Now func() time.Time
	// Stage is the stage events are emitted under (verify when empty).
	Stage event.Stage
	// Sink receives Baseline's events; Evaluate takes its sink as argument.
	Sink event.Sink
	// Timeout bounds each query (DefaultQueryTimeout when 0).
	Timeout time.Duration

	mu   sync.Mutex
	seen map[string]int
}

// Baseline measures every gate just before the rollout. The result, keyed
// by gate name, is what maxIncrease compares to; a gate whose query failed
// has a Measurement with Verdict error and no series.
func (e *Evaluator) Baseline(ctx context.Context, gates []config.Gate) map[string]Measurement {
	out := make(map[string]Measurement, len(gates))
	for _, g := range gates {
		at := e.now()
		m := Measurement{Gate: g.Name, Query: g.Query, Time: at, Threshold: Threshold(g), IsBaseline: true}
		series, err := e.query(ctx, g.Query, at)
		switch data := withData(series); {
		case err != nil:
			m.Verdict = Error
			m.Message = fmt.Sprintf("baseline of %s%s: query failed: %v", g.Name, atTime(at), err)
		case len(data) == 0:
			m.Message = fmt.Sprintf("baseline of %s%s: no data, so maxIncrease cannot be judged against it", g.Name, atTime(at))
		default:
			m.Series = data
			m.Value = &data[0].Value
			m.Message = fmt.Sprintf("baseline of %s = %s%s", g.Name, num(data[0].Value), atTime(at))
			if len(data) > 1 {
				m.Message += fmt.Sprintf(" (first of %d series)", len(data))
			}
		}
		out[g.Name] = m
		e.emit(e.Sink, m)
	}
	return out
}

// Evaluate measures every gate now and judges it against its thresholds
// and baseline, emitting one event.TypeGate event per gate.
func (e *Evaluator) Evaluate(ctx context.Context, gates []config.Gate, baseline map[string]Measurement, sink event.Sink) []Measurement {
	out := make([]Measurement, 0, len(gates))
	for _, g := range gates {
		m := e.evaluate(ctx, g, baseline)
		out = append(out, m)
		e.emit(sink, m)
	}
	return out
}

func (e *Evaluator) evaluate(ctx context.Context, g config.Gate, baseline map[string]Measurement) Measurement {
	at := e.now()
	m := Measurement{Gate: g.Name, Query: g.Query, Time: at, Threshold: Threshold(g)}
	series, err := e.query(ctx, g.Query, at)
	if err != nil {
		m.Verdict = Error
		m.Samples = e.count(g.Name, false)
		m.Message = fmt.Sprintf("%s%s: query failed: %v: error (never a pass)", g.Name, atTime(at), err)
		return m
	}
	m.Series = withData(series)
	m.Samples = e.count(g.Name, len(m.Series) > 0)
	o := Observation{At: at, Series: series, Seen: m.Samples}
	if b, ok := baseline[g.Name]; ok && b.Verdict != Error {
		o.Baseline = b.Series
	}
	d := Judge(g, o)
	m.Value, m.Baseline, m.Verdict, m.Message = d.Value, d.Baseline, d.Verdict, d.Message
	return m
}

// count adds an evaluation with data for gate and returns the total.
func (e *Evaluator) count(gate string, hasData bool) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen == nil {
		e.seen = map[string]int{}
	}
	if hasData {
		e.seen[gate]++
	}
	return e.seen[gate]
}

// query runs q at ts and flattens the result into series.
func (e *Evaluator) query(ctx context.Context, q string, ts time.Time) ([]Series, error) {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultQueryTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := e.Q.Query(ctx, q, ts)
	if err != nil {
		return nil, err
	}
	return Flatten(v)
}

// Flatten turns an instant query result into series. A range vector or a
// string is an error: a gate needs one number per series.
func Flatten(v model.Value) ([]Series, error) {
	switch r := v.(type) {
	case *model.Scalar:
		return []Series{{Value: float64(r.Value)}}, nil
	case model.Vector:
		out := make([]Series, 0, len(r))
		for _, s := range r {
			labels := s.Metric.String()
			if len(s.Metric) == 0 {
				labels = ""
			}
			out = append(out, Series{Labels: labels, Value: float64(s.Value)})
		}
		return out, nil
	case model.Matrix:
		return nil, fmt.Errorf("the query returns a range vector; a gate needs an instant vector or a scalar (wrap it in rate(), avg_over_time() or similar)")
	case nil:
		return nil, fmt.Errorf("the query returned no result")
	default:
		return nil, fmt.Errorf("the query returns a %s; a gate needs an instant vector or a scalar", v.Type())
	}
}

func (e *Evaluator) emit(sink event.Sink, m Measurement) {
	if sink == nil {
		return
	}
	stage := e.Stage
	if stage == "" {
		stage = event.StageVerify
	}
	sink.Emit(event.Event{Time: m.Time, Stage: stage, Type: event.TypeGate, Message: m.Message, Data: m})
}

func (e *Evaluator) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}
