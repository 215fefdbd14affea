package gate

import (
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
)

func TestWaitFor(t *testing.T) {
	done := time.Date(2026, 3, 1, 10, 4, 5, 0, time.UTC)
	s := time.Second
	ratio := config.Gate{Name: "error-rate", Lookback: config.Lookback{Total: 20 * s, Range: 20 * s}}
	tests := []struct {
		name   string
		gate   config.Gate
		now    time.Time
		scrape time.Duration
		wait   time.Duration
		until  time.Time
		msg    string
	}{
		{"at readiness: range + 2 scrapes", ratio, done, s, 22 * s, done.Add(22 * s),
			"error-rate: waiting 22s for post-rollout data: range 20s + 2 scrapes of 1s"},
		{"part of the way", ratio, done.Add(10*s + 300*time.Millisecond), s, 11*s + 700*time.Millisecond, done.Add(22 * s),
			"error-rate: waiting 12s for post-rollout data: range 20s + 2 scrapes of 1s"},
		{"a moment after", ratio, done.Add(time.Millisecond), s, 22*s - time.Millisecond, done.Add(22 * s),
			"error-rate: waiting 22s for post-rollout data: range 20s + 2 scrapes of 1s"},
		{"under a second left", ratio, done.Add(21*s + 600*time.Millisecond), s, 400 * time.Millisecond, done.Add(22 * s),
			"error-rate: waiting 400ms for post-rollout data: range 20s + 2 scrapes of 1s"},
		{"slower scrapes", ratio, done, 15 * s, 50 * s, done.Add(50 * s),
			"error-rate: waiting 50s for post-rollout data: range 20s + 2 scrapes of 15s"},
		{"offset counts", config.Gate{Name: "e", Lookback: config.Lookback{Total: 6 * time.Minute, Range: time.Minute, Offset: 5 * time.Minute}}, done, s,
			6*time.Minute + 2*s, done.Add(6*time.Minute + 2*s), "e: waiting 6m2s for post-rollout data: range 1m0s + offset 5m0s + 2 scrapes of 1s"},
		{"instant selector: 2 scrapes", config.Gate{Name: "up"}, done, s, 2 * s, done.Add(2 * s),
			"up: waiting 2s for post-rollout data: latest samples + 2 scrapes of 1s"},
		{"exactly on time: no wait", ratio, done.Add(22 * s), s, 0, done.Add(22 * s),
			"error-rate: post-rollout data since 10:04:27Z: range 20s + 2 scrapes of 1s"},
		{"later: no wait", ratio, done.Add(time.Minute), s, 0, done.Add(22 * s),
			"error-rate: post-rollout data since 10:04:27Z: range 20s + 2 scrapes of 1s"},
		{"a gate built in code: lookback from its query", config.Gate{Name: "q", Query: `sum(rate(x[30s] offset 10s))`}, done, s, 42 * s, done.Add(42 * s),
			"q: waiting 42s for post-rollout data: range 30s + offset 10s + 2 scrapes of 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := WaitFor(tt.gate, tt.now, done, tt.scrape)
			if w.Wait.Duration != tt.wait || !w.Until.Equal(tt.until) || w.Message != tt.msg || w.Gate != tt.gate.Name {
				t.Errorf("got %+v\nwant wait %s until %s: %q", w, tt.wait, tt.until, tt.msg)
			}
		})
	}
}

func TestNewWindow(t *testing.T) {
	done := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	lb := config.Lookback{Total: 20 * time.Second, Range: 20 * time.Second}
	tests := []struct {
		at   time.Time
		post bool
	}{
		{done, false},                       // at readiness: the window is the old version's
		{done.Add(21 * time.Second), false}, // one scrape short
		{done.Add(22 * time.Second), true},  // the first honest evaluation
		{done.Add(-time.Minute), false},     // before the rollout
		{done.Add(10 * time.Minute), true},  // stabilize, long after
		{done.Add(22*time.Second - time.Nanosecond), false},
	}
	for _, tt := range tests {
		w := NewWindow(tt.at, lb, done, time.Second)
		if w.PostRollout != tt.post || !w.From.Equal(tt.at.Add(-20*time.Second)) || !w.To.Equal(tt.at) ||
			!w.HonestFrom.Equal(done.Add(22*time.Second)) || w.Lookback != "range 20s" || w.ScrapeInterval.Duration != time.Second {
			t.Errorf("at +%s: %+v, want postRollout %v", tt.at.Sub(done), w, tt.post)
		}
	}
}
