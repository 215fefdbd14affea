package release

import (
	"context"
	"errors"
	"fmt"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/record"
)

// Holder names this process as a lock holder: "user@host pid P".
func Holder() string { return record.Identity() }

// RefusedError says the release was refused before anything was written.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// lock takes the release lock. A lock held by a live holder refuses the
// run; one held by a dead kship process on this host is taken over; an
// expired one is taken over by record.Lock itself. Every take-over is an
// event of the evidence.
func (r *run) lock(ctx context.Context, ns, name string) (*record.Lease, error) {
	opts := record.LockOptions{TTL: r.lockTTL, Force: r.force}
	lease, err := r.hist.Lock(ctx, ns, name, r.holder, opts)
	var held *record.LockedError
	if !errors.As(err, &held) {
		if err == nil && lease != nil && lease.TookOver() != "" {
			r.decide(event.StagePrepare, "lock of %s/%s: %s", ns, name, lease.TookOver())
		}
		return lease, err
	}
	if !record.HolderGone(held.Holder) {
		return nil, &RefusedError{Reason: held.Error()}
	}
	r.decide(event.StagePrepare, "lock of %s/%s was held by %s (since %s), a process that no longer exists on this host: taking it over",
		ns, name, held.Holder, held.Since.UTC().Format("2006-01-02T15:04:05Z"))
	opts.Force = true
	return r.hist.Lock(ctx, ns, name, r.holder, opts)
}

// unlock releases the lock, even when ctx has ended.
func (r *run) unlock(ctx context.Context, lease *record.Lease) {
	if lease == nil {
		return
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := lease.Release(ctx); err != nil {
		r.emit(event.StageRollout, event.TypeLog, "", "release lock: "+err.Error(), nil)
	}
}

// markInterrupted marks every pending revision as interrupted: the lock is
// ours, so no live run is deploying them.
func (r *run) markInterrupted(ctx context.Context, revs []record.Revision) error {
	for i := range revs {
		rev := &revs[i]
		if rev.Outcome != OutcomePending {
			continue
		}
		rev.Outcome = OutcomeInterrupted
		rev.Message = fmt.Sprintf("interrupted: %s; found by %s", rev.Message, r.holder)
		if rev.FinishedAt.IsZero() {
			rev.FinishedAt = r.now()
		}
		if err := r.hist.Save(ctx, rev); err != nil {
			return fmt.Errorf("mark revision %d interrupted: %w", rev.Number, err)
		}
		r.decide(event.StagePrepare, "revision %d was left pending by a run that died; marked interrupted", rev.Number)
	}
	return nil
}
