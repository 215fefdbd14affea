package gate

import (
	"fmt"
	"time"

	"github.com/kship/kship/internal/config"
)

// Scrapes is how many scrape intervals after the rollout a gate's window
// starts: the first scrape of a new pod may come up to one interval after
// it is Ready, and rate() needs a second sample.
const Scrapes = 2

// Window is the span of samples one evaluation at To reads, [To - lookback,
// To], placed against the rollout it judges.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Lookback says what the window is made of ("range 20s").
	Lookback string `json:"lookback"`
	// RolloutDone is when every new pod was Ready and every old one gone.
	RolloutDone time.Time `json:"rolloutDone"`
	// ScrapeInterval is the scrape interval the window was judged with.
	ScrapeInterval config.Duration `json:"scrapeInterval"`
	// HonestFrom is the first evaluation time whose window holds only
	// samples scraped after the rollout.
	HonestFrom time.Time `json:"honestFrom"`
	// PostRollout is true when To is at or after HonestFrom: every sample
	// in the window was scraped after the rollout.
	PostRollout bool `json:"postRollout"`
	// ScrapedFrom, when set, is when Prometheus had found the new pods,
	// after RolloutDone: HonestFrom counts from it.
	ScrapedFrom time.Time `json:"scrapedFrom,omitzero"`
}

// Span is the window as the view shows it: "[10:04:07Z, 10:04:27Z]".
func (w Window) Span() string {
	return fmt.Sprintf("[%s, %s]", w.From.UTC().Format("15:04:05Z"), w.To.UTC().Format("15:04:05Z"))
}

// HonestFrom is the first time a gate with lookback lb may give a verdict
// on a rollout done at rolloutDone: rolloutDone + lookback + 2 scrapes.
func HonestFrom(rolloutDone time.Time, lb config.Lookback, scrape time.Duration) time.Time {
	return rolloutDone.Add(lb.Total + Scrapes*scrape)
}

// NewWindow places an evaluation at `at` with lookback lb against a
// rollout done at rolloutDone, with pods scraped every scrape.
func NewWindow(at time.Time, lb config.Lookback, rolloutDone time.Time, scrape time.Duration) Window {
	honest := HonestFrom(rolloutDone, lb, scrape)
	return Window{
		From: at.Add(-lb.Total), To: at, Lookback: lb.String(),
		RolloutDone: rolloutDone, ScrapeInterval: config.Duration{Duration: scrape},
		HonestFrom: honest, PostRollout: !at.Before(honest),
	}
}

// Wait is how long a gate's verdict must wait for post-rollout data.
type Wait struct {
	Gate string `json:"gate"`
	// Until is the gate's HonestFrom.
	Until time.Time `json:"until"`
	// Wait is Until - now; 0 when Until has passed.
	Wait    config.Duration `json:"wait"`
	Message string          `json:"message"`
}

// WaitFor says how long gate g must wait at now for a window wholly after
// a rollout done at rolloutDone, and why: "error-rate: waiting 22s for
// post-rollout data: range 20s + 2 scrapes of 1s".
func WaitFor(g config.Gate, now, rolloutDone time.Time, scrape time.Duration) Wait {
	lb := Lookback(g)
	until := HonestFrom(rolloutDone, lb, scrape)
	why := fmt.Sprintf("%s + %d scrapes of %s", lb, Scrapes, scrape)
	w := Wait{Gate: g.Name, Until: until}
	if now.Before(until) {
		w.Wait = config.Duration{Duration: until.Sub(now)}
		w.Message = fmt.Sprintf("%s: waiting %s for post-rollout data: %s", g.Name, roundSecond(w.Wait.Duration), why)
		return w
	}
	w.Message = fmt.Sprintf("%s: post-rollout data since %s: %s", g.Name, until.UTC().Format("15:04:05Z"), why)
	return w
}

// Lookback is g's lookback: the one Load computed, or computed from the
// query for a gate built in code.
func Lookback(g config.Gate) config.Lookback {
	if g.Lookback != (config.Lookback{}) || g.Query == "" {
		return g.Lookback
	}
	lb, err := config.CheckQuery(g.Query, config.QueryVars{})
	if err != nil {
		return config.Lookback{}
	}
	return lb
}

// roundSecond rounds a wait of a second or more to whole seconds, as the
// view shows it.
func roundSecond(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
