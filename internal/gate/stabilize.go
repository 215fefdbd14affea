package gate

import (
	"context"
	"time"

	"github.com/kship/kship/internal/config"
)

// End says how a stabilize window ended.
type End int

const (
	// Completed: the window passed, its last round ran at its end.
	Completed End = iota
	// Stopped: a round asked to stop (a gate failed).
	Stopped
	// Signalled: the stop channel delivered a value (the failure detector
	// reported a failure).
	Signalled
	// Interrupted: the context ended.
	Interrupted
)

// Interval is the time between the rounds of a stabilize window: its
// interval, or the whole window when that is unset or longer.
func Interval(s config.Stabilize) time.Duration {
	if s.Interval.Duration <= 0 || s.Interval.Duration > s.Window.Duration {
		return s.Window.Duration
	}
	return s.Interval.Duration
}

// Stabilize is the Stabilize stage's loop: it runs round every Interval(s)
// across s's window and once more at the window's end, until a
// round returns true (Stopped), stop delivers a value (Signalled, with the
// value) or ctx ends (Interrupted). A closed stop channel is ignored from
// then on. A window of zero is Completed at once, with no round.
func Stabilize[T any](ctx context.Context, s config.Stabilize, stop <-chan T, round func() bool) (End, T) {
	var none T
	if s.Window.Duration <= 0 {
		return Completed, none
	}
	end := time.NewTimer(s.Window.Duration)
	defer end.Stop()
	tick := time.NewTicker(Interval(s))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return Interrupted, none
		case v, ok := <-stop:
			if !ok {
				stop = nil
				continue
			}
			return Signalled, v
		case <-tick.C:
			if round() {
				return Stopped, none
			}
		case <-end.C:
			if round() {
				return Stopped, none
			}
			return Completed, none
		}
	}
}
