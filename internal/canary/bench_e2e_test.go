//go:build bench

package canary_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kship/kship/internal/canary"
	"github.com/kship/kship/internal/event"
)

// benchBadRuns is how many bad canaries TestCanaryBench aborts.
const benchBadRuns = 3

// TestCanaryBench prints the figures of the canary's benchmark against the
// local environment and its Prometheus (go test -tags bench -run
// TestCanaryBench -v ./internal/canary): a canary answering 30% errors is
// deployed benchBadRuns times, each aborted at its first step, and the time
// from its pods Available at 25% (the step reached: every canary pod Ready)
// to the abort decision (the first failing evaluation on the canary's
// pods) is printed per run and as the median, with the time until the
// canary was removed; then a good canary goes 25 → 50 → 100 once and each
// step's requested weight, the share of requests the client saw the canary
// answer and the share Prometheus measured are printed. About 6 minutes.
func TestCanaryBench(t *testing.T) {
	c := newE2ECanary(t, "canary-bench-")
	out, ev := c.deploy(c.write("v1", "0", goodSteps))
	c.expect(out, ev, 0)

	var decided []time.Duration
	for i := 1; i <= benchBadRuns; i++ {
		out, ev = c.deploy(c.write(fmt.Sprintf("v%d", i+1), "0.3", goodSteps))
		c.expect(out, ev, 3)
		reached, failed, ok := ev.abortTiming()
		removed := ev.aborted()
		if !ok || removed.IsZero() {
			t.Fatalf("run %d: no step reached, failing evaluation or abort in the events:\n%s", i, ev.text())
		}
		decided = append(decided, failed.Sub(reached))
		t.Logf("figure: bad canary run %d: pods Available at 25%% → abort decision %s (canary removed %s after it)",
			i, failed.Sub(reached).Round(100*time.Millisecond), removed.Sub(failed).Round(100*time.Millisecond))
	}
	slices.Sort(decided)
	t.Logf("figure: bad canary: median pods Available → abort decision over %d runs: %s (the gate's minimum: lookback 10s + 2 scrapes of 1s = 12s)",
		benchBadRuns, decided[len(decided)/2].Round(100*time.Millisecond))

	stop := c.client.start(t)
	out, ev = c.deploy(c.write("v9", "0", measuredSteps))
	stop()
	c.expect(out, ev, 0)
	steps := ev.stepsLeft()
	if len(steps) != 2 {
		t.Fatalf("good canary: %d steps left, want 2:\n%s", len(steps), ev.text())
	}
	for _, st := range steps {
		seen, n := c.client.share("v9", st.Reached.Add(time.Second), st.Left)
		t.Logf("figure: good canary step %d: requested %d%% (%d canary + %d stable pods, %.0f%% of pods), held %s; client measured %.1f%% of %d requests; Prometheus measured %s",
			st.Step, st.Weight, st.CanaryPods, st.StablePods, 100*st.PodShare, st.Held.Round(100*time.Millisecond), 100*seen, n, pct(st.TrafficShare))
	}
}

// aborted is when the canary's abort ended (the canary removed).
func (e *events) aborted() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.all {
		if end, ok := ev.Data.(canary.Ending); ok && !end.Promoted && ev.Type == event.TypeCanary {
			return end.Finished
		}
	}
	return time.Time{}
}
