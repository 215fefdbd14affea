package wait

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kship/kship/internal/event"
)

// TestSightStretches: a stretch runs from the first watch lost to the last
// one back; one shorter than MinBlind (a watch re-opened at once) is not a
// blind stretch; one still lasting is reported with a zero To.
func TestSightStretches(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	var events []event.Event
	s := newSight(func() time.Time { return now }, func(e event.Event) { events = append(events, e) }, nil)

	s.down("pods", nil) // the server ended the watch on its timeout
	now = now.Add(20 * time.Millisecond)
	s.up("pods")
	if b := s.blind(); len(b) != 0 {
		t.Fatalf("a watch re-opened after 20ms counted as blind: %+v", b)
	}

	now = t0.Add(time.Minute)
	s.down("pods", errors.New("connection refused"))
	now = now.Add(2 * time.Second)
	s.down("events", errors.New("connection refused"))
	now = now.Add(3 * time.Second)
	s.up("pods")
	if b := s.blind(); len(b) != 1 || !b[0].To.IsZero() || !b[0].From.Equal(t0.Add(time.Minute)) {
		t.Fatalf("with events still down: %+v", b)
	}
	now = now.Add(time.Second)
	s.up("events")
	b := s.blind()
	if len(b) != 1 || b[0].Duration(now) != 6*time.Second || len(b[0].Watches) != 2 || b[0].Error != "connection refused" {
		t.Fatalf("stretch = %+v", b)
	}
	if len(events) != 1 || events[0].Type != event.TypeDetectorBlind {
		t.Fatalf("events = %+v, want the one saying the watch is back", events)
	}

	s.up("events") // a watch that was not lost changes nothing
	if len(s.blind()) != 1 {
		t.Fatalf("an up without a down made a stretch")
	}
}

// A stretch that begins as the watching ends (the tracker stopping its
// streams) says nothing once the watching is over: the run's event sink
// may be gone by then (kship mcp closes its progress channel when the tool
// call returns; an announcement into it panicked the server).
func TestSightSilentAfterTheWatchingEnds(t *testing.T) {
	done := make(chan struct{})
	var mu sync.Mutex
	var events []event.Event
	s := newSight(time.Now, func(e event.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }, done)
	s.down("pods", errors.New("watch of pods ended"))
	close(done)
	s.down("events", errors.New("watch of events ended"))
	s.up("pods")
	time.Sleep(MinBlind + 500*time.Millisecond) // the announcement's timer has fired
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 0 {
		t.Errorf("events after the watching ended: %+v", events)
	}
}
