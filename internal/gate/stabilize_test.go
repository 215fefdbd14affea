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

func TestStabilize(t *testing.T) {
	g := config.Gate{Name: "error-rate", Query: "err", Max: f(0.01)}
	window := func(w, i time.Duration) config.Stabilize {
		return config.Stabilize{Window: config.Duration{Duration: w}, Interval: config.Duration{Duration: i}}
	}
	tests := []struct {
		name      string
		answers   []any
		s         config.Stabilize
		rounds    int
		breach    bool
		completed bool
		last      Verdict
	}{
		{"healthy window", []any{scalar(0.001)}, window(200*time.Millisecond, 50*time.Millisecond), 4, false, true, Pass},
		{"breach ends it early", []any{scalar(0.001), scalar(0.3), scalar(0.001)}, window(time.Second, 30*time.Millisecond), 2, true, false, Fail},
		{"errors do not end it, the last word counts", []any{errors.New("refused")}, window(150*time.Millisecond, 50*time.Millisecond), 3, false, true, Error},
		{"no window", []any{scalar(0.3)}, window(0, time.Second), 0, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Evaluator{Q: &script{answers: map[string][]any{"err": tt.answers}}}
			start := time.Now()
			res := e.Stabilize(t.Context(), []config.Gate{g}, nil, tt.s, event.Discard)
			// Tickers drop ticks on a busy machine: at least one round
			// (two before a breach), at most one per interval.
			if n := len(res.Measurements); n > tt.rounds || (tt.rounds > 0 && n < 1) || (tt.breach && n != 2) {
				t.Errorf("%d evaluations, want at most %d", n, tt.rounds)
			}
			if (res.Breach != nil) != tt.breach || res.Completed != tt.completed {
				t.Errorf("breach %v completed %v, want %v %v", res.Breach, res.Completed, tt.breach, tt.completed)
			}
			if got := res.Last[g.Name].Verdict; got != tt.last {
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
	res := e.Stabilize(ctx, []config.Gate{{Name: "g", Query: "q", Max: f(1)}}, nil,
		config.Stabilize{Window: config.Duration{Duration: time.Minute}, Interval: config.Duration{Duration: 20 * time.Millisecond}}, nil)
	if res.Completed || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled window: completed %v after %s", res.Completed, time.Since(start))
	}
}
