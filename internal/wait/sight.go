package wait

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/kship/kship/internal/event"
)

// MinBlind is the shortest time without a working watch that counts as a
// blind stretch: a watch the API server ends on its timeout is re-opened
// from its resourceVersion within milliseconds and misses nothing.
const MinBlind = time.Second

// Blind is a stretch of time in which at least one of the detector's
// watches was not working (its stream ended, or it could not be opened):
// what changed then was not seen when it happened. To is zero while the
// stretch lasts.
type Blind struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to,omitzero"`
	Watches []string  `json:"watches"`
	Error   string    `json:"error,omitempty"`
}

// Duration is the stretch's length, up to now while it lasts.
func (b Blind) Duration(now time.Time) time.Duration {
	if b.To.IsZero() {
		return now.Sub(b.From)
	}
	return b.To.Sub(b.From)
}

// EventType is the event type of a Blind payload.
func (Blind) EventType() event.Type { return event.TypeDetectorBlind }

// sight follows whether every watch of a tracker works: a watch is lost
// when its stream ends by itself (the connection, the server) or reports
// an error, and back when a new stream is open. Reflector goroutines call
// it, so it has its own lock.
type sight struct {
	now  func() time.Time
	emit func(event.Event)
	// done is closed when the watching ends: nothing is recorded or said
	// after it (a stream that ends because the tracker stops is not a
	// blind stretch, and the run's event sink may be gone).
	done <-chan struct{}

	mu        sync.Mutex
	lost      map[string]time.Time // watches down, since when
	lastErr   string
	since     time.Time // start of the current stretch (zero: all watching)
	watches   map[string]bool
	stretches []Blind
}

func newSight(now func() time.Time, emit func(event.Event), done <-chan struct{}) *sight {
	return &sight{now: now, emit: emit, done: done, lost: map[string]time.Time{}, watches: map[string]bool{}}
}

// ended reports whether the watching is over.
func (s *sight) ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// down records that the watch key stopped working.
func (s *sight) down(key string, err error) {
	if s.ended() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.lastErr = err.Error()
	}
	if _, ok := s.lost[key]; ok {
		return
	}
	now := s.now()
	s.lost[key] = now
	s.watches[key] = true
	if !s.since.IsZero() {
		return
	}
	s.since = now
	since := now
	time.AfterFunc(MinBlind, func() { s.announce(since) })
}

// announce says a stretch began, once it lasted MinBlind.
func (s *sight) announce(since time.Time) {
	s.mu.Lock()
	if !s.since.Equal(since) {
		s.mu.Unlock()
		return
	}
	b := s.current()
	s.mu.Unlock()
	if s.ended() {
		return
	}
	msg := fmt.Sprintf("detector blind since %s: cannot watch %s", b.From.UTC().Format("15:04:05.0Z"), strings.Join(b.Watches, ", "))
	if b.Error != "" {
		msg += ": " + b.Error
	}
	s.emit(event.Event{Type: event.TypeDetectorBlind, Message: msg, Data: b})
}

// up records that the watch key has a working stream again.
func (s *sight) up(key string) {
	s.mu.Lock()
	if _, ok := s.lost[key]; !ok {
		s.mu.Unlock()
		return
	}
	b := s.current()
	delete(s.lost, key)
	if len(s.lost) > 0 {
		s.mu.Unlock()
		return
	}
	b.To = s.now()
	s.since = time.Time{}
	s.watches = map[string]bool{}
	s.lastErr = ""
	if b.Duration(b.To) < MinBlind {
		s.mu.Unlock()
		return
	}
	s.stretches = append(s.stretches, b)
	s.mu.Unlock()
	if s.ended() {
		return
	}
	s.emit(event.Event{Type: event.TypeDetectorBlind, Data: b, Message: fmt.Sprintf("detector watching again after %s blind (%s to %s)",
		b.Duration(b.To).Round(100*time.Millisecond), b.From.UTC().Format("15:04:05.0Z"), b.To.UTC().Format("15:04:05.0Z"))})
}

// current is the stretch in progress; the caller holds the lock.
func (s *sight) current() Blind {
	names := make([]string, 0, len(s.watches))
	for k := range s.watches {
		names = append(names, k)
	}
	sort.Strings(names)
	return Blind{From: s.since, Watches: names, Error: s.lastErr}
}

// blind returns the stretches so far, the one in progress last (when it
// lasted MinBlind).
func (s *sight) blind() []Blind {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]Blind(nil), s.stretches...)
	if !s.since.IsZero() && s.now().Sub(s.since) >= MinBlind {
		out = append(out, s.current())
	}
	return out
}

// listWatch wraps lw so that s follows its watches under key.
func (s *sight) listWatch(key string, lw *cache.ListWatch) *cache.ListWatch {
	if s == nil {
		return lw
	}
	watchFn := lw.WatchFuncWithContext
	lw.WatchFuncWithContext = func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
		w, err := watchFn(ctx, o)
		if err != nil {
			if ctx.Err() == nil {
				s.down(key, err)
			}
			return nil, err
		}
		s.up(key)
		return s.follow(ctx, key, w), nil
	}
	listFn := lw.ListWithContextFunc
	lw.ListWithContextFunc = func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		obj, err := listFn(ctx, o)
		if err != nil && ctx.Err() == nil {
			s.down(key, err)
		}
		return obj, err
	}
	return lw
}

// follow forwards w's events and marks key down when the stream ends
// by itself or carries an error, not when the reflector stops it.
func (s *sight) follow(ctx context.Context, key string, w watch.Interface) watch.Interface {
	f := &followed{Interface: w, out: make(chan watch.Event), stop: make(chan struct{})}
	go func() {
		defer close(f.out)
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				s.down(key, fmt.Errorf("watch error: %v", ev.Object))
			}
			select {
			case f.out <- ev:
			case <-f.stop:
				return
			}
		}
		select {
		case <-f.stop:
		case <-ctx.Done():
		default:
			s.down(key, fmt.Errorf("watch of %s ended", key))
		}
	}()
	return f
}

// followed is a watch whose events pass through follow.
type followed struct {
	watch.Interface
	out  chan watch.Event
	stop chan struct{}
	once sync.Once
}

func (f *followed) ResultChan() <-chan watch.Event { return f.out }

func (f *followed) Stop() {
	f.once.Do(func() { close(f.stop) })
	f.Interface.Stop()
}
