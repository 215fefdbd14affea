// Package evidence writes the evidence bundle of a release attempt: the
// timeline of every event (evidence.json), the steps to roll the release
// back (rollback.md), a self-contained report (report.html) and the summary
// printed at the end. Plan and checklist files are written by Prepare.
//
// It also holds the Redactor, the one path every output and stored message
// passes through. It imports five kship packages: event, manifest, plan and
// validate for the views it renders, and config for the credentials a
// release file holds (the Redactor masks them with the Secrets' values).
package evidence

import (
	"sync"

	"github.com/kship/kship/internal/event"
)

// Recorder is an event.Sink that keeps every event it sees, in order, and
// passes each one on to Next. The executor puts it first in the stream so the
// evidence holds exactly what the views showed.
type Recorder struct {
	// Next receives every event after it is recorded; nil drops them.
	Next event.Sink

	mu     sync.Mutex
	events []event.Event
}

// NewRecorder returns a Recorder that forwards to next.
func NewRecorder(next event.Sink) *Recorder { return &Recorder{Next: next} }

// Emit records e and forwards it.
func (r *Recorder) Emit(e event.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	if r.Next != nil {
		r.Next.Emit(e)
	}
}

// Events returns a copy of the events recorded so far.
func (r *Recorder) Events() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.events...)
}

// Since returns the events recorded from index i on, and the next index.
func (r *Recorder) Since(i int) ([]event.Event, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i > len(r.events) {
		i = len(r.events)
	}
	return append([]event.Event(nil), r.events[i:]...), len(r.events)
}
