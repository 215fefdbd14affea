package gate

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/kship/kship/internal/config"
)

// DefaultDiscover bounds how long Place waits for Prometheus to find a
// revision's pods when Placement.Discover is 0: a Prometheus that has not
// found them by then never scrapes them (or not through its targets API).
const DefaultDiscover = 30 * time.Second

// Placement says what a revision's evaluations judge: the values of the
// queries' template variables, when the revision's pods were all Ready (and
// the old ones gone), which pods they are, and the release file's scrape
// interval. A strategy judging a subset of pods (a canary's) places an
// Evaluator of its own with those pods and their pod-template-hash.
type Placement struct {
	Vars config.QueryVars
	// RolloutDone is when every new pod was Ready and every old one gone.
	RolloutDone time.Time
	// Pods are the revision's pods, whose scrape targets give the interval.
	Pods []Pod
	// Override is spec.verify.metrics.prometheus.scrapeInterval (0: not set).
	Override time.Duration
	// Discover bounds the wait for targets (DefaultDiscover when 0).
	Discover time.Duration
	// Settle is how long to wait for the other pods once some have a
	// target (DefaultSettle when 0).
	Settle time.Duration
}

// Placed is what Place learned about a revision's pods.
type Placed struct {
	Scrape ScrapeInterval `json:"scrape"`
	// RolloutDone is Placement.RolloutDone.
	RolloutDone time.Time `json:"rolloutDone"`
	// ScrapedFrom is when Prometheus had a target for every pod it was
	// going to find (never before RolloutDone): windows start from it, so
	// a late discovery does not leave a window short of samples.
	ScrapedFrom time.Time `json:"scrapedFrom"`
	Message     string    `json:"message"`
}

// Place learns how the revision's pods are scraped and sets the
// Evaluator's variables, rollout time and scrape interval, so that every
// later evaluation records its window and no verdict is taken on a window
// that reaches before the revision's pods were scraped. Without an
// override it waits (up to p.Discover) until Prometheus' targets API has a
// target for every pod; with one, it looks once. When the interval cannot
// be known it returns the error that says what to set, and the Evaluator
// is left unplaced.
func (e *Evaluator) Place(ctx context.Context, p Placement) (Placed, error) {
	out := Placed{RolloutDone: p.RolloutDone}
	lister, _ := e.Q.(TargetLister)
	var si ScrapeInterval
	var err error
	if lister == nil {
		si, err = ChooseScrapeInterval(Targets{}, fmt.Errorf("this query API has no targets API"), p.Pods, p.Override)
	} else {
		si, err = e.discover(ctx, lister, p)
	}
	out.Scrape = si
	if err != nil {
		return out, err
	}
	out.ScrapedFrom = p.RolloutDone
	if now := e.now(); si.Scraped > 0 && now.After(p.RolloutDone) && lister != nil {
		out.ScrapedFrom = now
	}
	e.mu.Lock()
	e.Vars, e.RolloutDone, e.ScrapedFrom, e.ScrapeInterval = p.Vars, p.RolloutDone, out.ScrapedFrom, si.Interval.Duration
	e.mu.Unlock()
	out.Message = si.Message
	if d := out.ScrapedFrom.Sub(p.RolloutDone); d >= time.Second {
		out.Message += fmt.Sprintf("; Prometheus had found them %s after the rollout was done, so windows start then", roundSecond(d))
	}
	return out, nil
}

// DefaultSettle is how long discover waits for the rest of the pods once
// Prometheus has a target for some of them: one discovery round and a
// reload of Prometheus' scrape manager (5 s); pods still missing then are
// not scraped (no metrics port), and waiting for them would only delay
// every verdict.
const DefaultSettle = 6 * time.Second

// discover polls the targets API until every pod has a target, or some
// have and p.Settle passed since, or the bound passes (then what was
// found is used); with an override it looks once.
func (e *Evaluator) discover(ctx context.Context, l TargetLister, p Placement) (ScrapeInterval, error) {
	bound := p.Discover
	if bound <= 0 {
		bound = DefaultDiscover
	}
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	settle := p.Settle
	if settle <= 0 {
		settle = DefaultSettle
	}
	var firstFound time.Time
	for {
		ts, err := l.Targets(ctx)
		si, cerr := ChooseScrapeInterval(ts, err, p.Pods, p.Override)
		if (cerr == nil && si.Scraped == len(p.Pods)) || p.Override > 0 || len(p.Pods) == 0 {
			return si, cerr
		}
		if si.Scraped > 0 && firstFound.IsZero() {
			firstFound = time.Now()
		}
		if !firstFound.IsZero() && time.Since(firstFound) >= settle {
			return si, cerr
		}
		select {
		case <-ctx.Done():
			if si.Scraped == 0 && p.Override == 0 {
				return si, fmt.Errorf("Prometheus found no target for the pods %s within %s: %w", podList(p.Pods), bound, cerr)
			}
			return si, cerr
		case <-tick.C:
		}
	}
}

// Waits says, for each gate, how long its verdict must wait at now for a
// window wholly after the revision's pods were scraped, and why; soonest
// first. The next evaluation of each gate records its wait. An unplaced
// Evaluator waits for nothing.
func (e *Evaluator) Waits(gates []config.Gate) []Wait {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.RolloutDone.IsZero() {
		return nil
	}
	if e.waits == nil {
		e.waits = map[string]Wait{}
	}
	out := make([]Wait, 0, len(gates))
	for _, g := range gates {
		w := WaitFor(g, now, e.anchor(), e.ScrapeInterval)
		e.waits[g.Name] = w
		out = append(out, w)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Until.Before(out[j].Until) })
	return out
}

// anchor is when windows start: the later of the rollout and Prometheus
// finding the pods.
func (e *Evaluator) anchor() time.Time {
	if e.ScrapedFrom.After(e.RolloutDone) {
		return e.ScrapedFrom
	}
	return e.RolloutDone
}

// window places an evaluation at `at` with lookback lb.
func (e *Evaluator) window(at time.Time, lb config.Lookback) Window {
	w := NewWindow(at, lb, e.anchor(), e.ScrapeInterval)
	w.RolloutDone = e.RolloutDone
	if e.ScrapedFrom.After(e.RolloutDone) {
		w.ScrapedFrom = e.ScrapedFrom
	}
	return w
}

// SetVars sets the values of the queries' template variables: the current
// revision's before Baseline (Place sets the new revision's).
func (e *Evaluator) SetVars(v config.QueryVars) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Vars = v
}
