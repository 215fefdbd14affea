package gate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
)

// window is what a Stabilize window measured with its rounds evaluating
// gates: every measurement, the first breach, each gate's last word.
type window struct {
	measurements []Measurement
	breach       *Measurement
	last         map[string]Measurement
	end          End
}

// stabilizeGates runs a Stabilize window whose rounds evaluate gates with
// e, stopping at the first failing gate, as release's Stabilize stage does.
func stabilizeGates(ctx context.Context, e *Evaluator, gates []config.Gate, s config.Stabilize, stop <-chan string) (window, string) {
	w := window{last: map[string]Measurement{}}
	end, got := Stabilize(ctx, s, stop, func() bool {
		for _, m := range e.Evaluate(ctx, gates, nil, event.Discard) {
			w.measurements = append(w.measurements, m)
			w.last[m.Gate] = m
			if m.Verdict == Fail && w.breach == nil {
				breach := m
				w.breach = &breach
			}
		}
		return w.breach != nil
	})
	w.end = end
	return w, got
}

func stabilizeFor(w, i time.Duration) config.Stabilize {
	return config.Stabilize{Window: config.Duration{Duration: w}, Interval: config.Duration{Duration: i}}
}

func TestStabilize(t *testing.T) {
	g := config.Gate{Name: "error-rate", Query: "err", Max: f(0.01)}
	tests := []struct {
		name      string
		answers   []any
		s         config.Stabilize
		rounds    int
		breach    bool
		completed bool
		last      Verdict
	}{
		{"healthy window", []any{scalar(0.001)}, stabilizeFor(200*time.Millisecond, 50*time.Millisecond), 4, false, true, Pass},
		{"breach ends it early", []any{scalar(0.001), scalar(0.3), scalar(0.001)}, stabilizeFor(time.Second, 30*time.Millisecond), 2, true, false, Fail},
		{"errors do not end it, the last word counts", []any{errors.New("refused")}, stabilizeFor(150*time.Millisecond, 50*time.Millisecond), 3, false, true, Error},
		{"no window", []any{scalar(0.3)}, stabilizeFor(0, time.Second), 0, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Evaluator{Q: &script{answers: map[string][]any{"err": tt.answers}}}
			start := time.Now()
			res, _ := stabilizeGates(t.Context(), e, []config.Gate{g}, tt.s, nil)
			// Tickers drop ticks on a busy machine: at least one round
			// (two before a breach), at most one per interval.
			if n := len(res.measurements); n > tt.rounds || (tt.rounds > 0 && n < 1) || (tt.breach && n != 2) {
				t.Errorf("%d evaluations, want at most %d", n, tt.rounds)
			}
			if completed := res.end == Completed; (res.breach != nil) != tt.breach || completed != tt.completed {
				t.Errorf("breach %v completed %v, want %v %v", res.breach, completed, tt.breach, tt.completed)
			}
			if tt.breach && res.end != Stopped {
				t.Errorf("a breach ended the window as %d, want Stopped", res.end)
			}
			if got := res.last[g.Name].Verdict; got != tt.last {
				t.Errorf("last verdict %q, want %q", got, tt.last)
			}
			if tt.completed && time.Since(start) < tt.s.Window.Duration {
				t.Errorf("completed after %s, before the %s window ended", time.Since(start), tt.s.Window.Duration)
			}
		})
	}
}

func TestStabilizeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	e := &Evaluator{Q: &script{answers: map[string][]any{"q": {model.Value(scalar(0))}}}}
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	res, _ := stabilizeGates(ctx, e, []config.Gate{{Name: "g", Query: "q", Max: f(1)}}, stabilizeFor(time.Minute, 20*time.Millisecond), nil)
	if res.end != Interrupted || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled window: ended %d after %s, want Interrupted", res.end, time.Since(start))
	}
}

// TestStabilizeStop: the stop channel (the failure detector) ends the
// window with its value, between rounds; a closed one does not end it.
func TestStabilizeStop(t *testing.T) {
	e := &Evaluator{Q: &script{answers: map[string][]any{"q": {model.Value(scalar(0))}}}}
	gates := []config.Gate{{Name: "g", Query: "q", Max: f(1)}}

	stop := make(chan string, 1)
	time.AfterFunc(50*time.Millisecond, func() { stop <- "CrashLoopBackOff" })
	start := time.Now()
	res, got := stabilizeGates(t.Context(), e, gates, stabilizeFor(time.Minute, 20*time.Millisecond), stop)
	if res.end != Signalled || got != "CrashLoopBackOff" || time.Since(start) > 5*time.Second {
		t.Errorf("detector failure: ended %d with %q after %s, want Signalled with CrashLoopBackOff", res.end, got, time.Since(start))
	}

	closed := make(chan string)
	close(closed)
	res, got = stabilizeGates(t.Context(), e, gates, stabilizeFor(100*time.Millisecond, 20*time.Millisecond), closed)
	if res.end != Completed || got != "" || len(res.measurements) == 0 {
		t.Errorf("closed detector: ended %d with %q after %d rounds, want the window Completed with rounds", res.end, got, len(res.measurements))
	}
}
