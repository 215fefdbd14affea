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
