package evidence

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/event"
)

// Each stage keeps its own row: with all six stages, no two bands share a
// row (a stabilize band once wrapped onto the plan's).
func TestTimelineOneRowPerStage(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	b := &Bundle{Outcome: event.Outcome{StartedAt: t0, FinishedAt: t0.Add(60 * time.Second)}}
	stages := []event.Stage{event.StagePlan, event.StagePrepare, event.StageRollout, event.StageVerify, event.StageStabilize, event.StageRollback}
	for i, st := range stages {
		at := t0.Add(time.Duration(i*10) * time.Second)
		b.Events = append(b.Events,
			event.Event{Time: at, Stage: st, Type: event.TypeStageStarted},
			event.Event{Time: at.Add(5 * time.Second), Stage: st, Type: event.TypeStageFinished})
	}
	svg := timelineSVG(b)
	for i, st := range stages {
		want := fmt.Sprintf(`y="%.1f" width=`, 20+float64(i)*22)
		idx := strings.Index(svg, "<title>"+string(st)+" ")
		if idx < 0 || !strings.Contains(svg[strings.LastIndex(svg[:idx], "<rect"):idx], want) {
			t.Errorf("stage %s not on row %d in:\n%s", st, i, svg)
		}
	}
}
