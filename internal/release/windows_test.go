package release

import (
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/gate"
)

func TestRollbackDeadlineComesFromTheWindows(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	waits := []gate.Wait{{Gate: "a", Until: now.Add(22 * time.Second)}, {Gate: "b", Until: now.Add(2*time.Minute + 2*time.Second)}}
	gates := []config.Gate{{Name: "a"}, {Name: "b", MinSamples: 3}}
	end, why := rollbackDeadline(waits, gates, 5*time.Second, now)
	if want := now.Add(2*time.Minute + 17*time.Second); !end.Equal(want) {
		t.Errorf("deadline %s, want %s: the last window plus 3 evaluations 5s apart", end, want)
	}
	if !strings.Contains(why, "10:02:02Z, then 3 evaluation(s) every 5s") {
		t.Errorf("why %q", why)
	}
	// A short window gets a short deadline, not a fixed minute.
	end, _ = rollbackDeadline(waits[:1], gates[:1], 5*time.Second, now)
	if want := now.Add(27 * time.Second); !end.Equal(want) {
		t.Errorf("deadline %s, want %s", end, want)
	}
}

func TestCheckedLineShowsEachGatesLastValueAndVerdict(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 22, 0, time.UTC)
	w := gate.NewWindow(at, config.Lookback{Total: 20 * time.Second, Range: 20 * time.Second}, at.Add(-22*time.Second), time.Second)
	zero, low := 0.0, 0.002
	list := setGateLine([]string{"smoke health (http): passed"}, gate.Measurement{Gate: "error-rate", Value: &zero, Threshold: "max 0.01", Verdict: gate.Pass, Window: &w})
	list = setGateLine(list, gate.Measurement{Gate: "error-rate", Value: &low, Threshold: "max 0.01", Verdict: gate.Pass})
	want := []string{"smoke health (http): passed", "gate error-rate = 0.002 (max 0.01): pass"}
	if strings.Join(list, "|") != strings.Join(want, "|") {
		t.Errorf("checked %q, want %q", list, want)
	}
	list = setGateLine(nil, gate.Measurement{Gate: "error-rate", Value: &zero, Threshold: "max 0.01", Verdict: gate.Pass, Window: &w})
	if want := "gate error-rate = 0 (max 0.01; window [10:00:02Z, 10:00:22Z] wholly after the rollout): pass"; list[0] != want {
		t.Errorf("checked %q, want %q", list[0], want)
	}
}
