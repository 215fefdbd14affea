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
	// Vars are the values of the gates' template variables: the previous
	// revision's before Baseline, the new revision's before Evaluate. A
	// query that needs a variable not set is not sent: an error (never a
	// pass), or no baseline.
	Vars config.QueryVars
	// RolloutDone, once set (every new pod Ready, every old one gone),
	// places each evaluation's window against the rollout, judged with
	// ScrapeInterval (see Window).
	RolloutDone    time.Time
	ScrapeInterval time.Duration
	// ScrapedFrom, when after RolloutDone, is when Prometheus had found
	// the new pods: windows start from it (Place sets it).
	ScrapedFrom time.Time

	mu   sync.Mutex
	seen map[string]int
	// waits are the waits Waits said, each recorded with the gate's next
	// evaluation.
	waits map[string]Wait
}

// Baseline measures every gate just before the rollout. The result, keyed
// by gate name, is what maxIncrease compares to; a gate whose query failed
// has a Measurement with Verdict error and no series.
func (e *Evaluator) Baseline(ctx context.Context, gates []config.Gate) map[string]Measurement {
	out := make(map[string]Measurement, len(gates))
	for _, g := range gates {
		at := e.now()
		m := Measurement{Gate: g.Name, Query: g.Query, Time: at, Threshold: Threshold(g), IsBaseline: true}
		q, err := config.ExpandQuery(g.Query, e.Vars)
		if err != nil {
			m.Message = fmt.Sprintf("baseline of %s not measured: %v", g.Name, err)
			out[g.Name] = m
			e.emit(e.Sink, m)
			continue
		}
		m.Query = q
		o, err := e.observe(ctx, q, at)
		m.Diagnosis = o.diagnosis
		switch data := withData(o.Series); {
		case err != nil:
			m.Verdict = Error
			m.Message = fmt.Sprintf("baseline of %s%s: query failed: %v", g.Name, atTime(at), err)
		case len(data) == 0:
			m.Message = fmt.Sprintf("baseline of %s%s: no data (%s), so maxIncrease cannot be judged against it", g.Name, atTime(at), o.Why)
		default:
			m.Series = data
			m.Value = &data[0].Value
			m.Message = fmt.Sprintf("baseline of %s = %s%s", g.Name, num(data[0].Value), atTime(at))
			if len(data) > 1 {
				m.Message += fmt.Sprintf(" (first of %d series)", len(data))
			}
			if o.Note != "" {
				m.Message += "; " + o.Note
			}
			if m.Warning = BaselineBreach(g, data); m.Warning != "" {
				m.Message += "; warning: " + m.Warning
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
	q, err := config.ExpandQuery(g.Query, e.Vars)
	if err != nil {
		m.Verdict = Error
		m.Samples = e.count(g.Name, false)
		m.Message = fmt.Sprintf("%s%s: query not sent: %v: error (never a pass)", g.Name, atTime(at), err)
		return m
	}
	m.Query = q
	if !e.RolloutDone.IsZero() {
		w := e.window(at, Lookback(g))
		m.Window = &w
		vars := e.Vars
		m.Vars = &vars
		m.Wait = e.takeWait(g.Name)
	}
	o, err := e.observe(ctx, q, at)
	if err != nil {
		m.Verdict = Error
		m.Samples = e.count(g.Name, false)
		m.Message = fmt.Sprintf("%s%s: query failed: %v: error (never a pass)", g.Name, atTime(at), err)
		return m
	}
	m.Diagnosis = o.diagnosis
	m.Series = withData(o.Series)
	m.Samples = e.count(g.Name, len(m.Series) > 0)
	o.Seen = m.Samples
	if b, ok := baseline[g.Name]; ok && b.Verdict != Error {
		o.Baseline = b.Series
	}
	d := Judge(g, o.Observation)
	m.Value, m.Baseline, m.Verdict, m.Message = d.Value, d.Baseline, d.Verdict, d.Message
	if m.Window != nil && !m.Window.PostRollout && (m.Verdict == Pass || m.Verdict == Fail) {
		m.Message = fmt.Sprintf("%s; but its window %s is not wholly after the rollout (honest from %s), so it may hold the previous revision's samples: inconclusive",
			m.Message, m.Window.Span(), m.Window.HonestFrom.UTC().Format("15:04:05Z"))
		m.Verdict = Inconclusive
	}
	return m
}

// takeWait returns, once, the wait Waits said for gate.
func (e *Evaluator) takeWait(gate string) *Wait {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.waits[gate]
	if !ok {
		return nil
	}
	delete(e.waits, gate)
	return &w
}

// observation is an Observation with the diagnosis that explains it.
type observation struct {
	Observation
	diagnosis *Diagnosis
}

// observe runs q at `at`. When it has no data, Prometheus is asked why
// (Why); when only a ratio's numerator of sums was empty, the series are
// the ratio's value, 0 (Note says so).
func (e *Evaluator) observe(ctx context.Context, q string, at time.Time) (observation, error) {
	series, err := e.query(ctx, q, at)
	if err != nil {
		return observation{}, err
	}
	o := observation{Observation: Observation{At: at, Series: series}}
	if len(withData(series)) > 0 {
		return o, nil
	}
	d, zero := e.diagnose(ctx, q, at)
	o.diagnosis = &d
	if d.Zero {
		o.Series, o.Note = zero, d.Message
	} else {
		o.Why = d.Message
	}
	return o, nil
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
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
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

func (e *Evaluator) timeout() time.Duration {
	if e.Timeout > 0 {
		return e.Timeout
	}
	return DefaultQueryTimeout
}

func (e *Evaluator) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}
