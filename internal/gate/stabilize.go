package gate

import (
	"context"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
)

// StabilizeResult is what a Stabilize window measured.
type StabilizeResult struct {
	// Measurements are every evaluation, in order.
	Measurements []Measurement
	// Breach is the first failing measurement; nil when none failed.
	Breach *Measurement
	// Last is each gate's last measurement (by gate name): what the window
	// ended on. A gate last in error or inconclusive is not verified.
	Last map[string]Measurement
	// Completed is true when the whole window was observed (no breach, ctx
	// not cancelled).
	Completed bool
}

// Stabilize re-evaluates the gates every interval until window has passed,
// the last time at the window's end. It returns at the first failing gate
// (a rollback trigger) or when ctx ends (the caller cancels it when the
// failure detector fires). Errors and inconclusive evaluations are recorded
// but do not end the window: the last evaluation decides whether the gate is
// verified.
func (e *Evaluator) Stabilize(ctx context.Context, gates []config.Gate, baseline map[string]Measurement, s config.Stabilize, sink event.Sink) StabilizeResult {
	res := StabilizeResult{Last: map[string]Measurement{}}
	if s.Window.Duration <= 0 || len(gates) == 0 {
		res.Completed = true
		return res
	}
	interval := s.Interval.Duration
	if interval <= 0 || interval > s.Window.Duration {
		interval = s.Window.Duration
	}
	end := time.NewTimer(s.Window.Duration)
	defer end.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		last := false
		select {
		case <-ctx.Done():
			return res
		case <-tick.C:
		case <-end.C:
			last = true
		}
		if res.record(e.Evaluate(ctx, gates, baseline, sink)) || ctx.Err() != nil {
			return res
		}
		if last {
			res.Completed = true
			return res
		}
	}
}

// record adds one round of measurements; it reports a breach.
func (r *StabilizeResult) record(ms []Measurement) bool {
	r.Measurements = append(r.Measurements, ms...)
	for _, m := range ms {
		r.Last[m.Gate] = m
		if m.Verdict == Fail && r.Breach == nil {
			breach := m
			r.Breach = &breach
		}
	}
	return r.Breach != nil
}
