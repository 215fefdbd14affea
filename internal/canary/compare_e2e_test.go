package canary_test

import (
	"strings"
	"testing"

	"github.com/kship/kship/internal/canary"
	"github.com/kship/kship/internal/gate"
)

// compared analyses the canary against stable: its error rate at most 5
// points above stable's.
const compared = `[{setWeight: 50}, {analysis: {duration: 6s, interval: 2s, maxAboveStable: {error-rate: 0.05}}}]`

// TestE2ECanaryComparedWithStable: the error-rate gate has no absolute
// bound that matters (max 1); the analysis compares the canary with
// stable. v2 (10% errors) beside v1 (20%) is promoted; v3 (30%) beside v2
// (10%) is aborted at the analysis, exit 3. Each comparison's values are
// checked against the side it claims, so judging stable's pods as the
// canary's (or the other way round) fails the test: v2 would be aborted
// (20% > 10% + 5) and v3 promoted (10% <= 30% + 5).
func TestE2ECanaryComparedWithStable(t *testing.T) {
	c := newE2ECanary(t, "canary-cmp-")
	c.gateMax = "1"
	out, ev := c.deploy(c.write("v1", "0.2", compared))
	c.expect(out, ev, 0)

	out, ev = c.deploy(c.write("v2", "0.1", compared))
	c.expect(out, ev, 0)
	cmps := ev.comparisons()
	if len(cmps) == 0 {
		t.Fatalf("no comparison with stable:\n%s", ev.text())
	}
	for _, cmp := range cmps {
		sides(t, cmp, 0.1, 0.2)
		if cmp.Verdict != gate.Pass {
			t.Errorf("v2 beside v1: %s", cmp.Message)
		}
	}

	out, ev = c.deploy(c.write("v3", "0.3", compared))
	c.expect(out, ev, 3)
	if !strings.Contains(out.Trigger, "gate error-rate compared with stable failed") {
		t.Errorf("trigger = %q", out.Trigger)
	}
	cmps = ev.comparisons()
	if len(cmps) == 0 || cmps[len(cmps)-1].Verdict != gate.Fail {
		t.Fatalf("v3 beside v2: no failing comparison: %+v", cmps)
	}
	for _, cmp := range cmps {
		sides(t, cmp, 0.3, 0.1)
	}
	c.canaryGone()
}

// sides checks a comparison measured each side on its own pods: two
// hashes, each query naming its own, and values near each side's error
// rate.
func sides(t *testing.T, cmp canary.Comparison, canaryRate, stableRate float64) {
	t.Helper()
	t.Logf("figure: %s", cmp.Message)
	if cmp.CanaryHash == "" || cmp.StableHash == "" || cmp.CanaryHash == cmp.StableHash {
		t.Errorf("hashes canary %q stable %q: want two different ones", cmp.CanaryHash, cmp.StableHash)
	}
	if !strings.Contains(cmp.CanaryQuery, cmp.CanaryHash) || !strings.Contains(cmp.StableQuery, cmp.StableHash) || strings.Contains(cmp.StableQuery, cmp.CanaryHash) {
		t.Errorf("queries do not name their own side:\ncanary %s\nstable %s", cmp.CanaryQuery, cmp.StableQuery)
	}
	if cmp.Canary == nil || cmp.Stable == nil {
		t.Errorf("a side has no value: %s", cmp.Message)
		return
	}
	if d := *cmp.Canary - canaryRate; d > 0.1 || d < -0.1 {
		t.Errorf("canary's value %.3f, want about %.2f", *cmp.Canary, canaryRate)
	}
	if d := *cmp.Stable - stableRate; d > 0.1 || d < -0.1 {
		t.Errorf("stable's value %.3f, want about %.2f", *cmp.Stable, stableRate)
	}
}

// comparisons are the comparisons with stable, in order.
func (e *events) comparisons() []canary.Comparison {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []canary.Comparison
	for _, ev := range e.all {
		if cmp, ok := ev.Data.(canary.Comparison); ok {
			out = append(out, cmp)
		}
	}
	return out
}
