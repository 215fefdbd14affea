package evidence_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/bluegreen"
	"github.com/kship/kship/internal/canary"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/gate"
)

// stepsRows are the rows of report.html's steps table, their cells
// joined by " | " with the markup removed.
func stepsRows(t *testing.T, html string) []string {
	t.Helper()
	i := strings.Index(html, `<table class="steps">`)
	if i < 0 {
		t.Fatalf("report.html has no steps table:\n%s", html)
	}
	table := html[i : i+strings.Index(html[i:], "</table>")]
	tags := regexp.MustCompile(`<[^>]+>`)
	var out []string
	for _, row := range strings.Split(table, "<tr")[2:] {
		var cells []string
		for _, c := range strings.Split(row, "<td>")[1:] {
			c = strings.ReplaceAll(c, "<br>", "; ")
			cells = append(cells, strings.TrimSpace(tags.ReplaceAllString(c, "")))
		}
		out = append(out, strings.Join(cells[1:], " | ")) // without the time
	}
	return out
}

func sameRows(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d step rows, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("step row %d:\n got %s\nwant %s…", i+1, got[i], want[i])
		}
	}
}

func ptr(v float64) *float64 { return &v }

// The events of a canary run as kship emits them (timings and figures from
// an e2e run of TestE2ECanaryGoodIsPromotedStepByStep): 25% held with an
// analysis, 50% with an analysis, promoted.
func canaryRun(t0 time.Time) []event.Event {
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ev := func(s float64, p event.Payload) event.Event {
		return event.Event{Time: at(s), Stage: event.StageRollout, Type: p.EventType(), Object: "Deployment shop/app-canary", Data: p}
	}
	step1 := canary.Step{Step: 1, Weight: 25, CanaryPods: 1, StablePods: 3, PodShare: 0.25, CanaryHash: "7c9f", Reached: at(4)}
	step3 := canary.Step{Step: 3, Weight: 50, CanaryPods: 3, StablePods: 3, PodShare: 0.5, CanaryHash: "7c9f", Reached: at(40)}
	left1, left3 := step1, step3
	left1.Left, left1.Held, left1.TrafficShare = at(38), config.Duration{Duration: 34 * time.Second}, ptr(0.262)
	left3.Left, left3.Held, left3.TrafficShare = at(74), config.Duration{Duration: 34 * time.Second}, ptr(0.47)
	zero := 0.0
	errRate := []event.StepGate{{Gate: "error-rate", Value: &zero, Verdict: "pass"}}
	twenty := config.Duration{Duration: 20 * time.Second}
	return []event.Event{
		{Time: t0, Stage: event.StageRollout, Type: event.TypeStageStarted},
		ev(4, step1),
		ev(5, gate.Measurement{Gate: "error-rate", Value: &zero, Verdict: gate.Pass, Time: at(18)}),
		ev(38, canary.Analysis{Step: 2, Weight: 25, Duration: twenty, Started: at(4), Finished: at(38), Gates: errRate, Verdict: gate.Pass}),
		ev(38, left1),
		ev(40, step3),
		ev(74, canary.Analysis{Step: 4, Weight: 50, Duration: twenty, Started: at(40), Finished: at(74), Gates: errRate, Verdict: gate.Pass}),
		ev(74, left3),
		ev(90, canary.Ending{Promoted: true, Started: at(74), Finished: at(90), Message: "promoted: Deployment shop/app runs the new template"}),
		{Time: at(91), Stage: event.StageRollout, Type: event.TypeStageFinished},
	}
}

// report.html lists every canary step with the weight requested, the pods,
// the traffic share Prometheus measured and each analysis, and draws each
// on the timeline; a bad canary's failed analysis and abort are red.
func TestReportShowsCanarySteps(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	b := &evidence.Bundle{Outcome: event.Outcome{StartedAt: t0, FinishedAt: t0.Add(120 * time.Second)}, Events: canaryRun(t0)}
	html := evidence.ReportHTML(b)
	sameRows(t, stepsRows(t, html), []string{
		"1. setWeight 25% | 25% | 1 canary + 3 stable (25% of ready pods) | 26.2% | 34s",
		"2. analysis 20s | 25% |  |  | 34s | error-rate = 0: pass; pass",
		"3. setWeight 50% | 50% | 3 canary + 3 stable (50% of ready pods) | 47.0% | 34s",
		"4. analysis 20s | 50% |  |  | 34s | error-rate = 0: pass; pass",
		"promoted | 100% |  |  | 16s |  | promoted",
	})
	for _, want := range []string{"<title>setWeight 25% +4s, weight 25%, 1 canary + 3 stable (25% of ready pods), measured 26.2% of requests</title>",
		"<title>analysis 20s +40s, weight 50%, error-rate 0 pass, pass</title>", ">25%</text>", ">50%</text>"} {
		if !strings.Contains(html, want) {
			t.Errorf("the timeline lacks %q", want)
		}
	}

	bad := 0.31
	t1 := t0.Add(time.Hour)
	at := func(s float64) time.Time { return t1.Add(time.Duration(s * float64(time.Second))) }
	reached := canary.Step{Step: 1, Weight: 25, CanaryPods: 1, StablePods: 3, PodShare: 0.25, Reached: at(3)}
	left := reached
	left.Left, left.TrafficMessage = at(17), "not measured (set spec.strategy.canary.trafficShare)"
	why := errors.New("analysis: gate error-rate failed on the canary's pods: 0.31 > max 0.05")
	b = &evidence.Bundle{Outcome: event.Outcome{StartedAt: t1, FinishedAt: t1.Add(40 * time.Second)}, Events: []event.Event{
		{Time: at(3), Stage: event.StageRollout, Type: event.TypeCanary, Data: reached},
		{Time: at(17), Stage: event.StageRollout, Type: event.TypeCanary, Data: canary.Analysis{Step: 2, Weight: 25, Duration: config.Duration{Duration: 8 * time.Second},
			Started: at(3), Finished: at(17), Gates: []event.StepGate{{Gate: "error-rate", Value: &bad, Verdict: "fail"}}, Verdict: gate.Fail, Message: why.Error()}},
		{Time: at(17), Stage: event.StageRollout, Type: event.TypeCanary, Data: left},
		{Time: at(19), Stage: event.StageRollout, Type: event.TypeCanary, Data: canary.Ending{Started: at(17), Finished: at(19), Failed: why.Error(), Message: "aborted: Deployment shop/app-canary removed"}},
	}}
	html = evidence.ReportHTML(b)
	sameRows(t, stepsRows(t, html), []string{
		"1. setWeight 25% | 25% | 1 canary + 3 stable (25% of ready pods) | not measured (set spec.strategy.canary.trafficShare) | 14s",
		"2. analysis 8s | 25% |  |  | 14s | error-rate = 0.31: fail; fail | analysis: gate error-rate failed",
		"aborted | 0% |  |  | 2s | fail | aborted: Deployment shop/app-canary removed",
	})
	if n := strings.Count(html, `fill="#e77"`); n != 2 {
		t.Errorf("%d red step bands, want the failed analysis and the abort", n)
	}
}

// report.html lists a blue-green release's preview, preview analysis,
// switch, post-switch analysis and the old color's removal; after a
// post-switch failure, the switch back and how long it took.
func TestReportShowsBlueGreenSteps(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	zero := 0.0
	ok := []event.StepGate{{Gate: "error-rate", Value: &zero, Verdict: "pass"}}
	ev := func(s float64, p event.Payload) event.Event {
		return event.Event{Time: at(s), Stage: event.StageRollout, Type: p.EventType(), Data: p}
	}
	blue, green := map[string]string{"app": "app", "kship.dev/color": "blue"}, map[string]string{"app": "app", "kship.dev/color": "green"}
	events := []event.Event{
		ev(5, bluegreen.Phase{Phase: bluegreen.PhasePreview, Deployment: "Deployment shop/app-green", Pods: 3, Started: at(1), Finished: at(5)}),
		ev(20, bluegreen.Phase{Phase: bluegreen.PhasePreviewAnalysis, Deployment: "Deployment shop/app-green", Pods: 3, Started: at(5), Finished: at(20), Gates: ok, Verdict: gate.Pass}),
		ev(21, bluegreen.Switch{Service: "Service shop/app", From: blue, To: green, At: at(21)}),
		ev(36, bluegreen.Phase{Phase: bluegreen.PhasePostSwitch, Deployment: "Deployment shop/app-green", Pods: 3, Started: at(21), Finished: at(36), Gates: ok, Verdict: gate.Pass}),
		ev(38, bluegreen.Phase{Phase: bluegreen.PhaseOldRemoved, Deployment: "Deployment shop/app-green", Pods: 3, Started: at(36), Finished: at(38), Message: "Deployment shop/app-blue kept 15s after the switch, then removed"}),
	}
	b := &evidence.Bundle{Outcome: event.Outcome{StartedAt: t0, FinishedAt: at(60)}, Events: events}
	sameRows(t, stepsRows(t, evidence.ReportHTML(b)), []string{
		"preview | 0% | 3 pods of app-green |  | 4s",
		"preview analysis | 0% | 3 pods of app-green |  | 15s | error-rate = 0: pass; pass",
		"switch | 100% |  |  | 0s |  | Service shop/app selects {app: app, kship.dev/color: green} (was {app: app, kship.dev/color: blue})",
		"post-switch analysis | 100% | 3 pods of app-green |  | 15s | error-rate = 0: pass; pass",
		"old color removed | 100% | 3 pods of app-green |  | 2s |  | Deployment shop/app-blue kept 15s",
	})

	bad := 0.3
	events = append(events[:3],
		ev(30, bluegreen.Phase{Phase: bluegreen.PhasePostSwitch, Deployment: "Deployment shop/app-green", Pods: 3, Started: at(21), Finished: at(30),
			Gates: []event.StepGate{{Gate: "error-rate", Value: &bad, Verdict: "fail"}}, Verdict: gate.Fail}),
		ev(31, bluegreen.Switch{Service: "Service shop/app", From: green, To: blue, At: at(31), Back: true, Failed: at(30), Took: config.Duration{Duration: time.Second}, Reason: "after the switch: gate error-rate failed"}))
	b.Events = events
	sameRows(t, stepsRows(t, evidence.ReportHTML(b))[3:], []string{
		"post-switch analysis | 100% | 3 pods of app-green |  | 9s | error-rate = 0.3: fail; fail",
		"switched back | 0% |  |  | 1s |  | Service shop/app selects {app: app, kship.dev/color: blue} (was {app: app, kship.dev/color: green}), 1s after the failing evaluation",
	})
}
