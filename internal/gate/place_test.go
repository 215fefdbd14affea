package gate

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
)

// targetScript is a Querier and TargetLister: the targets API answers
// from a list (the last answer repeats).
type targetScript struct {
	script
	tmu     sync.Mutex
	targets []Targets
	calls   int
}

func (s *targetScript) Targets(context.Context) (Targets, error) {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	s.calls++
	t := s.targets[0]
	if len(s.targets) > 1 {
		s.targets = s.targets[1:]
	}
	return t, nil
}

func podTarget(name string, every time.Duration) Target {
	return Target{Labels: map[string]string{"namespace": "shop", "pod": name}, ScrapeInterval: every}
}

func TestPlaceWaitsForTargetsThenWindowsStartAfterThem(t *testing.T) {
	done := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := done
	q := &targetScript{targets: []Targets{
		{}, // not discovered yet
		{Active: []Target{podTarget("a", time.Second)}}, // one of two
		{Active: []Target{podTarget("a", time.Second), podTarget("b", 2*time.Second)}},
	}}
	e := &Evaluator{Q: q, Now: func() time.Time { return clock }}
	pods := []Pod{{"shop", "a"}, {"shop", "b"}}
	vars := config.QueryVars{Namespace: "shop", Release: "web", Revision: 2, PodTemplateHashes: []string{"abc"}}
	clock = done.Add(3 * time.Second) // when the targets are found
	placed, err := e.Place(t.Context(), Placement{Vars: vars, RolloutDone: done, Pods: pods, Discover: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if q.calls != 3 {
		t.Errorf("targets asked %d times, want 3 (until both pods have one)", q.calls)
	}
	if placed.Scrape.Interval.Duration != 2*time.Second || !placed.ScrapedFrom.Equal(done.Add(3*time.Second)) {
		t.Errorf("placed %+v: want the larger interval 2s, scraped from +3s", placed)
	}
	if !strings.Contains(placed.Message, "3s after the rollout was done") {
		t.Errorf("message %q does not say the windows start late", placed.Message)
	}
	g := config.Gate{Name: "error-rate", Query: `sum(rate(x{pod_template_hash=~"{{.PodTemplateHash}}"}[20s]))`,
		Lookback: config.Lookback{Total: 20 * time.Second, Range: 20 * time.Second}}
	fast := config.Gate{Name: "up", Query: "up", Max: ptr(0.5)}
	waits := e.Waits([]config.Gate{g, fast})
	if len(waits) != 2 || waits[0].Gate != "up" || !waits[1].Until.Equal(done.Add(27*time.Second)) {
		t.Fatalf("waits %+v: want up first, error-rate until +3s + 20s + 2x2s", waits)
	}
	if want := "error-rate: waiting 24s for post-rollout data: range 20s + 2 scrapes of 2s"; waits[1].Message != want {
		t.Errorf("wait message %q, want %q", waits[1].Message, want)
	}
	q.answers = map[string][]any{`sum(rate(x{pod_template_hash=~"abc"}[20s]))`: {scalar(0), scalar(0)}}
	clock = waits[1].Until
	m := e.Evaluate(t.Context(), []config.Gate{g}, nil, nil)[0]
	if m.Verdict != Pass || m.Window == nil || !m.Window.PostRollout || m.Vars == nil || m.Vars.Revision != 2 || m.Wait == nil {
		t.Fatalf("measurement %+v: want a pass on a post-rollout window with its vars and wait", m)
	}
	if m.Wait = nil; e.Evaluate(t.Context(), []config.Gate{g}, nil, nil)[0].Wait != nil {
		t.Error("the wait is recorded with the first evaluation after it only")
	}
}

func TestEvaluationBeforeHonestFromIsNeverAVerdict(t *testing.T) {
	done := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	g := config.Gate{Name: "error-rate", Query: "q", Max: ptr(0.01), Lookback: config.Lookback{Total: time.Minute, Range: time.Minute}}
	for _, v := range []float64{0, 0.3} {
		q := &script{answers: map[string][]any{"q": {scalar(v)}}}
		e := &Evaluator{Q: q, Now: func() time.Time { return done.Add(time.Second) }, RolloutDone: done, ScrapeInterval: time.Second}
		m := e.Evaluate(t.Context(), []config.Gate{g}, nil, nil)[0]
		if m.Verdict != Inconclusive || !strings.Contains(m.Message, "not wholly after the rollout") {
			t.Errorf("value %g at readiness: %s %q, want inconclusive (the window holds the old revision's samples)", v, m.Verdict, m.Message)
		}
	}
}

func TestPlaceWithoutTargetsOrOverrideIsAnError(t *testing.T) {
	q := &targetScript{targets: []Targets{{}}}
	e := &Evaluator{Q: q}
	_, err := e.Place(t.Context(), Placement{RolloutDone: time.Now(), Pods: []Pod{{"shop", "a"}}, Discover: time.Second})
	if err == nil || !strings.Contains(err.Error(), "spec.verify.metrics.prometheus.scrapeInterval") {
		t.Fatalf("err %v: want one that says which field to set", err)
	}
	if !e.RolloutDone.IsZero() || e.Waits([]config.Gate{{Name: "g"}}) != nil {
		t.Error("a failed Place leaves the evaluator unplaced")
	}
	// With an override it looks once and uses it.
	q = &targetScript{targets: []Targets{{}}}
	e = &Evaluator{Q: q}
	placed, err := e.Place(t.Context(), Placement{RolloutDone: time.Now(), Pods: []Pod{{"shop", "a"}}, Override: 15 * time.Second})
	if err != nil || q.calls != 1 || placed.Scrape.Interval.Duration != 15*time.Second {
		t.Fatalf("placed %+v, %v after %d calls: want the override after one look", placed, err, q.calls)
	}
}

func ptr(v float64) *float64 { return &v }

// A pod Prometheus never scrapes (no metrics port) does not hold every
// verdict back for the whole bound: once some pods have targets, the
// others get one settle time.
func TestPlaceDoesNotWaitForeverForAPodNeverScraped(t *testing.T) {
	q := &targetScript{targets: []Targets{{Active: []Target{podTarget("a", time.Second)}}}}
	e := &Evaluator{Q: q}
	placed, err := e.Place(t.Context(), Placement{RolloutDone: time.Now(), Pods: []Pod{{"shop", "a"}, {"shop", "redis"}},
		Discover: time.Minute, Settle: time.Second})
	if err != nil || placed.Scrape.Scraped != 1 || placed.Scrape.Interval.Duration != time.Second {
		t.Fatalf("placed %+v, %v: want the interval of the one scraped pod", placed, err)
	}
	if q.calls > 5 {
		t.Errorf("targets asked %d times: want it to stop a settle time (1s) after the first target", q.calls)
	}
}
