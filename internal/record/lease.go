package record

import (
	"context"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
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

	loseOnce sync.Once
	mu       sync.Mutex
	lease    *coordinationv1.Lease
	lostErr  error
	renewed  time.Time // the last renewal that the API server took
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
		return fmt.Sprintf("forced the lock away from %s, held since %s and live (last renewed %s, its lease ran to %s): that run stops when it sees the lock gone",
			l.Previous.Identity, l.Previous.Since.UTC().Format(time.RFC3339), l.Previous.RenewedAt.UTC().Format(time.RFC3339), l.Previous.ExpiresAt().UTC().Format(time.RFC3339))
	default:
		return fmt.Sprintf("took over the lock from %s, who stopped renewing it at %s (expired %s)",
			l.Previous.Identity, l.Previous.RenewedAt.UTC().Format(time.RFC3339), l.Previous.ExpiresAt().UTC().Format(time.RFC3339))
	}
}

// Lost is closed when the lock was taken from us (someone forced it, it
// was deleted, or it could not be renewed before it lapsed); Err then says
// how (a *LostError when another holder has it).
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Err is why the lock was lost, nil while it is held.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lostErr
}

// start runs the renewal loop and a watch of the Lease until Release or
// ctx ends. The watch sees another holder take the lock (--force-unlock)
// or the Lease deleted the moment it happens; the loop renews every TTL/3,
// retries a failed renewal every second, and gives the lock up as lost
// when it could not renew it for 5/6 of the TTL: past that, another run
// may take it over as expired.
func (l *Lease) start(ctx context.Context) {
	ctx, l.cancel = context.WithCancel(ctx)
	l.renewed = l.store.now()
	go l.watch(ctx)
	go func() {
		defer close(l.done)
		every := max(l.TTL/3, 100*time.Millisecond)
		timer := time.NewTimer(every)
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-l.lost:
				return
			case <-timer.C:
			}
			ok, err := l.renew(ctx)
			switch {
			case !ok:
				return
			case err == nil:
				timer.Reset(every)
			case l.store.now().Sub(l.renewed) >= l.TTL*5/6:
				l.lose(fmt.Errorf("Lease %s/%s: could not renew the lock since %s (%v): it lapses at %s and another run may take it",
					l.Namespace, l.lease.Name, l.renewed.UTC().Format(time.RFC3339), err, l.renewed.Add(l.TTL).UTC().Format(time.RFC3339)))
				return
			default:
				timer.Reset(min(time.Second, every))
			}
		}
	}()
}

// watch watches the Lease and gives the lock up as lost when another
// holder's name appears in it or it is deleted.
func (l *Lease) watch(ctx context.Context) {
	leases := l.store.Typed.CoordinationV1().Leases(l.Namespace)
	sel := fields.OneTermEqualSelector("metadata.name", l.lease.Name).String()
	inf := cache.NewSharedInformer(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return leases.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return leases.Watch(ctx, o)
		},
	}, &coordinationv1.Lease{}, 0)
	check := func(obj any) {
		if lease, ok := obj.(*coordinationv1.Lease); ok {
			if h := holderOf(lease); h != nil && h.Identity != l.Holder {
				l.lose(&LostError{Namespace: l.Namespace, Release: l.ReleaseName, To: h.Identity, At: h.Since})
			}
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    check,
		UpdateFunc: func(_, obj any) { check(obj) },
		DeleteFunc: func(any) {
			l.lose(fmt.Errorf("Lease %s/%s: the lock was deleted by someone else", l.Namespace, l.lease.Name))
		},
	})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-l.lost:
			cancel()
		case <-ctx.Done():
		}
	}()
	inf.RunWithContext(ctx)
}

// LostError says the lock was taken over by another holder.
type LostError struct {
	Namespace, Release string
	// To is the holder that has the lock now; At when it took it.
	To string
	At time.Time
}

func (e *LostError) Error() string {
	return fmt.Sprintf("lost the lock of release %s/%s to %s (it took the lock at %s)", e.Namespace, e.Release, e.To, e.At.UTC().Format(time.RFC3339))
}

// lose marks the lock lost with err, once.
func (l *Lease) lose(err error) {
	l.loseOnce.Do(func() {
		l.mu.Lock()
		l.lostErr = err
		l.mu.Unlock()
		close(l.lost)
	})
}

// renew writes a new renewTime. ok is false when the lock is lost; err is
// a failure to renew that may pass (the API server did not answer).
func (l *Lease) renew(ctx context.Context) (ok bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	leases := l.store.Typed.CoordinationV1().Leases(l.Namespace)
	next := l.lease.DeepCopy()
	now := l.store.now()
	t := metav1.NewMicroTime(now)
	next.Spec.RenewTime = &t
	rctx, cancel := context.WithTimeout(ctx, max(l.TTL/3, time.Second))
	defer cancel()
	updated, err := leases.Update(rctx, next, metav1.UpdateOptions{FieldManager: ManagedBy})
	if err == nil {
		l.lease, l.renewed = updated, now
		return true, nil
	}
	if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return true, err
	}
	current, gerr := leases.Get(rctx, l.lease.Name, metav1.GetOptions{})
	if gerr == nil && holderOf(current) != nil && holderOf(current).Identity == l.Holder {
		l.lease = current
		return true, err
	}
	if gerr != nil && !apierrors.IsNotFound(gerr) {
		return true, gerr
	}
	l.mu.Unlock()
	if h := holderOf(current); gerr == nil && h != nil {
		l.lose(&LostError{Namespace: l.Namespace, Release: l.ReleaseName, To: h.Identity, At: h.Since})
	} else {
		l.lose(fmt.Errorf("Lease %s/%s: lock lost", l.Namespace, l.lease.Name))
	}
	l.mu.Lock()
	return false, nil
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
