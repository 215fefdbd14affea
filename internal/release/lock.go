package release

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// hold takes the release's lock with take (lockAndRead, or
// createNamespaceAndLock for a first release) and returns the context the
// lock guards and the function that releases it (with ctx, so it runs
// even when the guarded context has ended).
func (r *run) hold(ctx context.Context, a *attempt, take func(context.Context, *attempt) (*record.Lease, error)) (context.Context, func(), error) {
	lease, err := take(ctx, a)
	if err != nil {
		return ctx, func() {}, err
	}
	return r.guard(ctx, lease), func() { r.unlock(ctx, lease) }, nil
}

// guard returns ctx ended the moment the lock is lost (taken over with
// --force-unlock, deleted, or not renewed in time), with the loss as its
// cause: every stage stops at once, and from then on the run writes
// nothing more to the cluster (maskedHistory refuses, finish records
// nothing and says so).
func (r *run) guard(ctx context.Context, lease *record.Lease) context.Context {
	if lease == nil {
		return ctx
	}
	r.lease = lease
	ctx, cancel := context.WithCancelCause(ctx)
	r.stopGuard = func() { cancel(nil) }
	go func() {
		select {
		case <-lease.Lost():
			r.decide(event.StageRollout, "%v: stopping at once, writing nothing more to the cluster", lease.Err())
			cancel(lease.Err())
		case <-ctx.Done():
		}
	}()
	return ctx
}

// lockLost is why the run lost its lock, nil while it holds it.
func (r *run) lockLost() error {
	if r.lease == nil {
		return nil
	}
	select {
	case <-r.lease.Lost():
		return r.lease.Err()
	default:
		return nil
	}
}

// lostLock makes the outcome of a run that lost its lock: Incomplete (exit
// 4), nothing more recorded in the cluster, the new holder named.
func (r *run) lostLock(a *attempt, lost error) {
	what := "before it recorded a revision"
	if a.saved {
		what = fmt.Sprintf("while revision %d was in progress; revision %d stays as the cluster records it (the new holder marks it interrupted)", a.out.Revision, a.out.Revision)
	}
	a.out.Summary = fmt.Sprintf("%v %s: this run stopped at once and wrote nothing more to the cluster; what runs is what the new holder's run leaves — see kship status", lost, what)
	a.out.ManualSteps = "kship status " + a.out.Release + " -n " + a.out.Namespace
	a.saved = false
	a.out.Verdict = event.Incomplete
}

// unlock releases the lock, even when ctx has ended.
func (r *run) unlock(ctx context.Context, lease *record.Lease) {
	if lease == nil {
		return
	}
	if r.stopGuard != nil {
		r.stopGuard()
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := lease.Release(ctx); err != nil {
		r.emit(event.StageRollout, event.TypeLog, "", "release lock: "+err.Error(), nil)
	}
}

// markInterrupted marks every pending revision as interrupted: the lock is
// ours, so no run may go on deploying them. A holder whose lock was forced
// away (--force-unlock) was live: it is named as such, and it stops when
// it sees the lock gone.
func (r *run) markInterrupted(ctx context.Context, revs []record.Revision, lease *record.Lease) error {
	for i := range revs {
		rev := &revs[i]
		if rev.Outcome != record.OutcomePending {
			continue
		}
		how := "left pending by a run that died"
		if lease != nil && lease.Forced && r.force && lease.Previous != nil && !record.HolderGone(lease.Previous.Identity) {
			how = fmt.Sprintf("in progress by %s, which still held the lock (renewed %s) until this run forced it away with --force-unlock; that run stops when it sees the lock gone",
				lease.Previous.Identity, lease.Previous.RenewedAt.UTC().Format(time.RFC3339))
		}
		rev.Outcome = record.OutcomeInterrupted
		rev.Message = fmt.Sprintf("interrupted: %s; %s; found by %s", rev.Message, how, r.holder)
		if rev.FinishedAt.IsZero() {
			rev.FinishedAt = r.now()
		}
		if err := r.hist.Save(ctx, rev); err != nil {
			return fmt.Errorf("mark revision %d interrupted: %w", rev.Number, err)
		}
		r.decide(event.StagePrepare, "revision %d was %s; marked interrupted", rev.Number, how)
	}
	return nil
}
