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
	svg := timelineSVG(b, nil)
	for i, st := range stages {
		want := fmt.Sprintf(`y="%.1f" width=`, 20+float64(i)*22)
		idx := strings.Index(svg, "<title>"+string(st)+" ")
		if idx < 0 || !strings.Contains(svg[strings.LastIndex(svg[:idx], "<rect"):idx], want) {
			t.Errorf("stage %s not on row %d in:\n%s", st, i, svg)
		}
	}
}

// A gate's chart shows the window each evaluation read, when the rollout
// it judged was done and from when its windows held only samples scraped
// after it, on a time axis; the baseline is grey, not a failure.
func TestGateChartShowsWindows(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	b := &Bundle{Outcome: event.Outcome{StartedAt: t0, FinishedAt: t0.Add(60 * time.Second)}}
	zero := 0.0
	done, honest := t0.Add(10*time.Second), t0.Add(32*time.Second)
	b.Events = []event.Event{
		{Time: t0, Type: event.TypeGate, Data: reading{event.GateReading{Gate: "error-rate", Time: t0, Value: &zero, Threshold: "max 0.01", Baseline: true}}},
		{Time: honest, Type: event.TypeGate, Data: reading{event.GateReading{Gate: "error-rate", Time: honest, Value: &zero, Threshold: "max 0.01", Verdict: "pass",
			Window: &event.GateWindow{From: t0.Add(12 * time.Second), To: honest, RolloutDone: done, HonestFrom: honest, PostRollout: true}}}},
	}
	svg := gateSVG(b, gateSeries(b.Events)[0])
	for _, want := range []string{
		"<title>window 01:00:12 to 01:00:32</title>", "rollout done 01:00:10", "honest from 01:00:32",
		`fill="#888"><title>01:00:00 0: baseline, before the rollout</title>`, ">+1m0s</text>",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q:\n%s", want, svg)
		}
	}
}

// reading is a gate payload for tests (gate.Measurement's view).
type reading struct{ r event.GateReading }

func (reading) EventType() event.Type            { return event.TypeGate }
func (r reading) GateReading() event.GateReading { return r.r }

// The report of a release of many objects has a bounded events table: the
// per-object rows beyond the limit are counted per type and evidence.json
// named, while a failure and the verdict after them are still shown.
func TestReportEventsAreBounded(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	report := func(n int) string {
		b := &Bundle{Outcome: event.Outcome{StartedAt: t0, FinishedAt: t0.Add(60 * time.Second)}}
		for i := 0; i < n; i++ {
			obj := fmt.Sprintf("Deployment shop/app%d", i)
			b.Events = append(b.Events,
				event.Event{Time: t0, Stage: event.StageRollout, Type: event.TypeApplied, Object: obj, Message: "created"},
				event.Event{Time: t0, Stage: event.StageRollout, Type: event.TypeStatus, Object: obj, Message: "Current"})
		}
		b.Events = append(b.Events,
			event.Event{Time: t0, Stage: event.StageRollout, Type: event.TypeFailure, Object: "Pod shop/app7-x", Message: "CrashLoopBackOff"},
			event.Event{Time: t0, Stage: event.StageRollout, Type: event.TypeDecision, Message: "roll back"})
		return ReportHTML(b)
	}
	small, large := report(1000), report(10000)
	if len(large) > len(small)+len(small)/10 {
		t.Errorf("report.html grows with the objects: %d bytes at 1,000, %d at 10,000", len(small), len(large))
	}
	for _, want := range []string{"CrashLoopBackOff", "roll back", "9750 <code>object.status</code>", EvidenceFile} {
		if !strings.Contains(large, want) {
			t.Errorf("report.html of 10,000 objects does not say %q", want)
		}
	}
}
