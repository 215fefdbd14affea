package release

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/kship/kship/internal/event"
)

// What an interrupt (SIGINT, SIGTERM: RunOptions.Interrupts) does depends
// on the stage it arrives in:
//
//   - Plan, Prepare: the run stops before its first write; nothing was
//     applied (exit 2, refused).
//   - Rollout, Verify: the interrupt is the rollback trigger; the previous
//     revision is restored and verified as after any failure (exit 3).
//   - Stabilize: the new revision passed Verify and is left running,
//     recorded deployed and NOT verified (exit 5).
//   - Rollback: the rollback goes on; a second interrupt stops it, and
//     the rollback is recorded interrupted (exit 4).
//
// A second interrupt in any stage ends the run's context: whatever runs
// stops and the state is recorded as it is. The end of the caller's own
// context (an MCP client cancelling its call) is such a hard stop too.

// Interrupt is the first interrupt of a run: the signal, the stage it came
// in and when.
type Interrupt struct {
	Signal string
	Stage  event.Stage
	At     time.Time
	// Since is when the stage it came in started.
	Since time.Time
}

// String says the interrupt ("SIGTERM (terminated) during stabilize").
func (in *Interrupt) String() string {
	return fmt.Sprintf("interrupted by %s during %s", in.Signal, in.Stage)
}

// InterruptError is the cause of a context an interrupt ended.
type InterruptError struct {
	Signal string
	Stage  event.Stage
	// Second is an interrupt after the first: it stops a rollback.
	Second bool
}

func (e *InterruptError) Error() string {
	if e.Second {
		return fmt.Sprintf("stopped by a second %s during %s", e.Signal, e.Stage)
	}
	return fmt.Sprintf("interrupted by %s during %s", e.Signal, e.Stage)
}

// interrupts is a run's state of interrupts: the stage running, the first
// interrupt, and the cancel functions of the contexts they end.
type interrupts struct {
	mu     sync.Mutex
	stage  event.Stage
	since  time.Time
	first  *Interrupt
	cancel []context.CancelCauseFunc // contexts the first interrupt ends
}

// signalName names a signal as people know it.
func signalName(sig os.Signal) string {
	switch sig.String() {
	case "terminated":
		return "SIGTERM"
	case "interrupt":
		return "SIGINT"
	case "hangup":
		return "SIGHUP"
	}
	return sig.String()
}

// staged records the stage an event says has started.
func (in *interrupts) staged(e event.Event) {
	if e.Type != event.TypeStageStarted {
		return
	}
	in.mu.Lock()
	in.stage, in.since = e.Stage, e.Time
	in.mu.Unlock()
}

// current is the running stage (Plan before any has started).
func (in *interrupts) current() (event.Stage, time.Time) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stage == "" {
		return event.StagePlan, in.since
	}
	return in.stage, in.since
}

// firstInterrupt is the run's first interrupt, nil before it.
func (r *run) firstInterrupt() *Interrupt {
	r.intr.mu.Lock()
	defer r.intr.mu.Unlock()
	return r.intr.first
}

// watchInterrupts returns ctx ended by a second interrupt (or the
// caller), and the function that stops watching; the first interrupt ends
// the contexts made by interruptible. Without RunOptions.Interrupts the
// caller's context is the only way to stop a run.
func (r *run) watchInterrupts(ctx context.Context) (context.Context, func()) {
	if r.signals == nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case sig := <-r.signals:
				if r.onInterrupt(signalName(sig), cancel) {
					return
				}
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return ctx, func() {
		close(done)
		<-stopped // nothing is said once the run is over
		cancel(nil)
	}
}

// onInterrupt handles one interrupt; it reports whether it was the second
// (the run's context is then ended and nothing more is watched).
func (r *run) onInterrupt(sig string, cancelHard context.CancelCauseFunc) bool {
	stage, since := r.intr.current()
	r.intr.mu.Lock()
	first := r.intr.first == nil
	if first {
		r.intr.first = &Interrupt{Signal: sig, Stage: stage, At: r.now(), Since: since}
	}
	cancels := r.intr.cancel
	r.intr.mu.Unlock()
	if !first {
		r.decide(stage, "a second interrupt (%s) during %s: stopping now; the state is recorded as it is", sig, stage)
		cancelHard(&InterruptError{Signal: sig, Stage: stage, Second: true})
		return true
	}
	r.decide(stage, "%s received during %s: %s", sig, stage, interruptPolicy(stage))
	for _, c := range cancels {
		c(&InterruptError{Signal: sig, Stage: stage})
	}
	return false
}

// interruptPolicy says what a first interrupt does in stage.
func interruptPolicy(stage event.Stage) string {
	switch stage {
	case event.StagePlan, event.StagePrepare:
		return "stopping before the first write, nothing is applied"
	case event.StageRollout, event.StageVerify:
		return "rolling back to the previous revision (interrupt again to stop the rollback)"
	case event.StageStabilize:
		return "leaving the new revision running, recorded as NOT verified"
	case event.StageRollback:
		return "the rollback goes on (interrupt again to stop it)"
	}
	return "stopping"
}

// interruptible returns a context of ctx that the run's first interrupt
// ends (at once when it has come already): the stages before a rollback
// run in it, the rollback in ctx.
func (r *run) interruptible(ctx context.Context) context.Context {
	if r.signals == nil {
		return ctx
	}
	ctx, cancel := context.WithCancelCause(ctx)
	r.intr.mu.Lock()
	first := r.intr.first
	r.intr.cancel = append(r.intr.cancel, cancel)
	r.intr.mu.Unlock()
	if first != nil {
		cancel(&InterruptError{Signal: first.Signal, Stage: first.Stage})
	}
	return ctx
}
