package record

import (
	"context"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Lease is a held release lock. It renews itself in the background until
// Release is called or the context given to Lock ends.
type Lease struct {
	Namespace   string
	ReleaseName string
	// Holder is our identity in the Lease.
	Holder     string
	AcquiredAt time.Time
	// Previous is whose lock this one took over, nil when the lock was free.
	Previous *Holder
	// Forced is true when Previous was still live (taken with Force).
	Forced bool
	// TTL is the lease duration.
	TTL time.Duration

	store  *Store
	cancel context.CancelFunc
	done   chan struct{}
	lost   chan struct{}

	mu      sync.Mutex
	lease   *coordinationv1.Lease
	lostErr error
}

func (s *Store) newHandle(l *coordinationv1.Lease, release, holder string, prev *Holder, forced bool) *Lease {
	return &Lease{
		Namespace: l.Namespace, ReleaseName: release, Holder: holder,
		AcquiredAt: l.Spec.AcquireTime.Time, Previous: prev, Forced: forced,
		TTL:   time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second,
		store: s, lease: l, done: make(chan struct{}), lost: make(chan struct{}),
	}
}

// TookOver says whose lock was taken over, for the caller's log: "" when the
// lock was free.
func (l *Lease) TookOver() string {
	switch {
	case l.Previous == nil:
		return ""
	case l.Forced:
		return fmt.Sprintf("forced the lock away from %s, held since %s", l.Previous.Identity, l.Previous.Since.UTC().Format(time.RFC3339))
	default:
		return fmt.Sprintf("took over the lock from %s, who stopped renewing it at %s (expired %s)",
			l.Previous.Identity, l.Previous.RenewedAt.UTC().Format(time.RFC3339), l.Previous.ExpiresAt().UTC().Format(time.RFC3339))
	}
}

// Lost is closed when the lock was taken from us (someone forced it, or it
// was deleted); Err then says how.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Err is why the lock was lost, nil while it is held.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lostErr
}

// start runs the renewal loop until Release or ctx ends.
func (l *Lease) start(ctx context.Context) {
	ctx, l.cancel = context.WithCancel(ctx)
	go func() {
		defer close(l.done)
		tick := time.NewTicker(max(l.TTL/3, 100*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if !l.renew(ctx) {
					return
				}
			}
		}
	}()
}

// renew writes a new renewTime; it returns false when the lock is lost.
// Transient API errors are retried at the next tick.
func (l *Lease) renew(ctx context.Context) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	leases := l.store.Typed.CoordinationV1().Leases(l.Namespace)
	next := l.lease.DeepCopy()
	t := metav1.NewMicroTime(l.store.now())
	next.Spec.RenewTime = &t
	updated, err := leases.Update(ctx, next, metav1.UpdateOptions{FieldManager: ManagedBy})
	if err == nil {
		l.lease = updated
		return true
	}
	if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return true
	}
	current, err := leases.Get(ctx, l.lease.Name, metav1.GetOptions{})
	if err == nil && holderOf(current) != nil && holderOf(current).Identity == l.Holder {
		l.lease = current
		return true
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return true
	}
	l.lostErr = fmt.Errorf("Lease %s/%s: lock lost", l.Namespace, l.lease.Name)
	if h := holderOf(current); err == nil && h != nil {
		l.lostErr = fmt.Errorf("Lease %s/%s: lock taken over by %s", l.Namespace, l.lease.Name, h.Identity)
	}
	close(l.lost)
	return false
}

// Release stops renewing and deletes the Lease if we still hold it.
func (l *Lease) Release(ctx context.Context) error {
	if l.cancel != nil {
		l.cancel()
		<-l.done
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lostErr != nil {
		return nil
	}
	leases := l.store.Typed.CoordinationV1().Leases(l.Namespace)
	for range 3 {
		rv := l.lease.ResourceVersion
		err := leases.Delete(ctx, l.lease.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
		if err == nil || apierrors.IsNotFound(err) {
			return nil
		}
		if !apierrors.IsConflict(err) {
			return fmt.Errorf("Lease %s/%s: release: %w", l.Namespace, l.lease.Name, err)
		}
		current, err := leases.Get(ctx, l.lease.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("Lease %s/%s: release: %w", l.Namespace, l.lease.Name, err)
		}
		if h := holderOf(current); h == nil || h.Identity != l.Holder {
			return nil
		}
		l.lease = current
	}
	return fmt.Errorf("Lease %s/%s: release: kept conflicting", l.Namespace, l.lease.Name)
}
