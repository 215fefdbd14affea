// Package wait watches a release's objects until they are ready by kstatus
// rules, while a failure detector watches the release's new pods,
// ReplicaSets and Events and aborts the moment the release cannot succeed.
// It uses one watch per kind per namespace (informers: one LIST, then a
// WATCH from its resourceVersion), never polling.
//
// It imports config, event, kube, manifest and status because a wait is
// made of them: the release file's detector settings, the event stream it
// reports into, the clients it watches with, the objects it waits for and
// the status decisions (pure functions) it applies to what it sees.
package wait

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/status"
)

// Waiter waits for a release's objects to become ready.
type Waiter struct {
	Clients *kube.Clients
	Sink    event.Sink
	Now     func() time.Time
	// Stage is the stage the emitted events belong to (default rollout).
	Stage event.Stage
}

// Options tune one wait.
type Options struct {
	// Timeout is the rollout timeout; 0 means wait until ctx ends.
	Timeout time.Duration
	// Detector tunes the failure detector (defaults as in status.ThresholdsFrom).
	Detector config.Detector
	// Namespace is used for namespaced refs that have none.
	Namespace string

	// follow makes the tracker follow whether its watches work (Watch).
	follow bool
}

// Failure is the failure detector's finding (see status.Failure).
type Failure = status.Failure

// ObjectStatus is the readiness of one release object.
type ObjectStatus struct {
	Ref manifest.Ref `json:"ref"`
	status.Result
}

// Result is the outcome of a successful wait: every object Current.
type Result struct {
	Objects  []ObjectStatus `json:"objects"`
	Duration time.Duration  `json:"duration"`
}

// FailureError is returned by Wait when the failure detector found that
// the release cannot succeed; it carries the Failure (object, pod,
// container, reason, message, time of the decision).
type FailureError struct {
	Failure
}

// Error says the release cannot succeed and why.
func (e *FailureError) Error() string {
	return "release cannot succeed: " + e.Failure.String()
}

// TimeoutError is returned by Wait when the timeout passed before every
// object was Current; Pending names each object that was not, with its
// status.
type TimeoutError struct {
	Timeout time.Duration
	Pending []ObjectStatus
}

// Error names every object that was not Current, with its status.
func (e *TimeoutError) Error() string {
	parts := make([]string, 0, len(e.Pending))
	for _, p := range e.Pending {
		parts = append(parts, fmt.Sprintf("%s (%s)", p.Ref, p.Result))
	}
	return fmt.Sprintf("rollout timed out after %s: %d %s not ready: %s",
		e.Timeout, len(e.Pending), plural(len(e.Pending), "object", "objects"), strings.Join(parts, "; "))
}

// Wait watches objs until every one is Current by kstatus rules and
// returns their statuses. One difference: a Job is Current only once it is
// Complete (kstatus counts a started Job as Current; a release whose Job
// has not finished is not done, as kapp and helm --wait-for-jobs agree). It returns a *FailureError as soon as the
// failure detector finds a failure, a *TimeoutError when opts.Timeout
// passes first, and ctx's error when ctx ends first.
func (w *Waiter) Wait(ctx context.Context, objs []manifest.Ref, opts Options) (*Result, error) {
	start := w.now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t, err := w.newTracker(ctx, objs, opts)
	if err != nil {
		return nil, err
	}
	var timeout <-chan time.Time
	if opts.Timeout > 0 {
		timer := time.NewTimer(opts.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}
	for {
		if f := t.nextFailure(); f != nil {
			return nil, &FailureError{Failure: *f}
		}
		if t.synced && t.allCurrent() {
			return &Result{Objects: t.statuses(), Duration: w.now().Sub(start)}, nil
		}
		if err := t.step(ctx, timeout); err != nil {
			if errors.Is(err, errTimeout) {
				return nil, t.timeoutError(opts.Timeout)
			}
			return nil, fmt.Errorf("wait for %d objects: %w", len(objs), err)
		}
	}
}

// ReasonDetectorError is the Reason of the Failure Watch delivers when it
// cannot watch (a kind the cluster does not serve, no permission to watch
// pods): the release cannot be observed, so it cannot be verified. Watch
// ends after it.
const ReasonDetectorError = "DetectorError"

// Watching is a running failure detector (Watch).
type Watching struct {
	// Failures delivers each distinct Failure; it is closed when the
	// watch's context ends.
	Failures <-chan Failure
	sight    *sight
}

// Blind returns the stretches in which the detector had no working watch
// of some of what it watches (each at least MinBlind long), the one still
// lasting last, with a zero To.
func (w *Watching) Blind() []Blind {
	if w == nil || w.sight == nil {
		return nil
	}
	return w.sight.blind()
}

// Watch runs only the failure detector over objs until ctx ends, sending
// each distinct Failure on Failures (used across Verify and the Stabilize
// window), and follows whether its watches work: Blind says when they did
// not. Failures is closed when ctx ends.
func (w *Waiter) Watch(ctx context.Context, objs []manifest.Ref, opts Options) *Watching {
	out := make(chan Failure, 16)
	opts.follow = true
	t, err := w.newTracker(ctx, objs, opts)
	var s *sight
	if t != nil {
		s = t.sight
	}
	go func() {
		defer close(out)
		if err == nil {
			err = w.detect(ctx, t, out)
		}
		if err != nil && ctx.Err() == nil {
			f := Failure{Reason: ReasonDetectorError, Message: err.Error(), At: w.now()}
			w.emit(eventOf(f))
			select {
			case out <- f:
			case <-ctx.Done():
			}
		}
	}()
	return &Watching{Failures: out, sight: s}
}

// detect sends every failure t finds on out until ctx ends or t fails.
func (w *Waiter) detect(ctx context.Context, t *tracker, out chan<- Failure) error {
	for {
		for f := t.nextFailure(); f != nil; f = t.nextFailure() {
			select {
			case out <- *f:
			case <-ctx.Done():
				return nil
			}
		}
		if err := t.step(ctx, nil); err != nil {
			return err
		}
	}
}

func (w *Waiter) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Waiter) emit(e event.Event) {
	if w.Sink == nil {
		return
	}
	if e.Stage == "" {
		e.Stage = w.Stage
		if e.Stage == "" {
			e.Stage = event.StageRollout
		}
	}
	e.Time = w.now()
	w.Sink.Emit(e)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
