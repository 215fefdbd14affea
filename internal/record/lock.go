package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultLockTTL is how long a lock outlives its holder's last renewal.
const DefaultLockTTL = 30 * time.Second

// LockOptions tune Lock.
type LockOptions struct {
	// TTL is the lease duration (DefaultLockTTL when 0; at least 1s). The
	// lock is renewed every TTL/3.
	TTL time.Duration
	// Force takes the lock over even from a live holder (--force-unlock).
	Force bool
}

// Holder describes who holds (or held) a release's lock.
type Holder struct {
	// Identity is "user@host pid N".
	Identity  string        `json:"identity"`
	Since     time.Time     `json:"since"`
	RenewedAt time.Time     `json:"renewedAt"`
	Duration  time.Duration `json:"duration"`
	// Previous is the kship.dev/previous-holder note of the Lease: whose
	// lock the holder took over, if any.
	Previous string `json:"previous,omitempty"`
}

// ExpiresAt is when the lock lapses unless renewed.
func (h Holder) ExpiresAt() time.Time { return h.RenewedAt.Add(h.Duration) }

// Expired reports whether the holder stopped renewing the lock (it died or
// lost the API server) by now.
func (h Holder) Expired(now time.Time) bool { return now.After(h.ExpiresAt()) }

// MarshalJSON writes the holder with its expiry and the duration in seconds.
func (h Holder) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Identity        string    `json:"identity"`
		Since           time.Time `json:"since"`
		RenewedAt       time.Time `json:"renewedAt"`
		ExpiresAt       time.Time `json:"expiresAt"`
		DurationSeconds float64   `json:"durationSeconds"`
		Previous        string    `json:"previous,omitempty"`
	}{h.Identity, h.Since.UTC(), h.RenewedAt.UTC(), h.ExpiresAt().UTC(), h.Duration.Seconds(), h.Previous})
}

func (h Holder) String() string {
	return fmt.Sprintf("%s (since %s, last renewed %s)", h.Identity,
		h.Since.UTC().Format(time.RFC3339), h.RenewedAt.UTC().Format(time.RFC3339))
}

// LockedError is returned by Lock when another live kship holds the lock.
type LockedError struct {
	Namespace string
	Release   string
	Holder    string
	Since     time.Time
	ExpiresAt time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("release %s/%s is locked by %s since %s (the lock lapses at %s unless renewed): "+
		"wait for that deploy to finish; if it is gone, the lock expires by itself, or pass --force-unlock",
		e.Namespace, e.Release, e.Holder, e.Since.UTC().Format(time.RFC3339), e.ExpiresAt.UTC().Format(time.RFC3339))
}

// Lock takes the release's lock, the Lease kship.<release> in ns, for
// holder. A lock held by a live holder yields *LockedError (unless
// opts.Force); an expired one is taken over and Lease.Previous says whose it
// was. Concurrent callers race with optimistic concurrency: one wins. The
// lock is renewed in the background every TTL/3 until Release or until ctx
// ends. Expiry compares the holder's renewTime with this machine's clock:
// clocks are assumed to agree to well within the TTL.
func (s *Store) Lock(ctx context.Context, ns, release, holder string, opts LockOptions) (*Lease, error) {
	if opts.TTL <= 0 {
		opts.TTL = DefaultLockTTL
	}
	opts.TTL = max(opts.TTL, time.Second).Round(time.Second)
	for range 10 {
		l, err := s.tryLock(ctx, ns, release, holder, opts)
		if err == nil {
			l.start(ctx)
			return l, nil
		}
		if !errors.Is(err, errRetry) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("Lease %s/%s: lock contended, gave up after 10 tries", ns, LeaseName(release))
}

var errRetry = errors.New("retry")

// tryLock makes one attempt: create the Lease, or take over a free or
// expired (or, with Force, any) one with its resourceVersion.
func (s *Store) tryLock(ctx context.Context, ns, release, holder string, opts LockOptions) (*Lease, error) {
	leases := s.Typed.CoordinationV1().Leases(ns)
	name := LeaseName(release)
	now := s.now()
	existing, err := leases.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		created, err := leases.Create(ctx, newLease(ns, name, release, holder, now, opts.TTL), metav1.CreateOptions{FieldManager: ManagedBy})
		if apierrors.IsAlreadyExists(err) {
			return nil, errRetry
		}
		if err != nil {
			return nil, fmt.Errorf("Lease %s/%s: create: %w", ns, name, err)
		}
		return s.newHandle(created, release, holder, nil, false), nil
	}
	if err != nil {
		return nil, fmt.Errorf("Lease %s/%s: get: %w", ns, name, err)
	}
	prev := holderOf(existing)
	if prev != nil && !prev.Expired(now) && !opts.Force {
		return nil, &LockedError{Namespace: ns, Release: release, Holder: prev.Identity, Since: prev.Since, ExpiresAt: prev.ExpiresAt()}
	}
	taken := takeOver(existing, holder, now, opts.TTL, prev)
	updated, err := leases.Update(ctx, taken, metav1.UpdateOptions{FieldManager: ManagedBy})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil, errRetry
	}
	if err != nil {
		return nil, fmt.Errorf("Lease %s/%s: take over: %w", ns, name, err)
	}
	forced := prev != nil && !prev.Expired(now)
	return s.newHandle(updated, release, holder, prev, forced), nil
}

// newLease is a fresh lock Lease held by holder.
func newLease(ns, name, release, holder string, now time.Time, ttl time.Duration) *coordinationv1.Lease {
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: ns,
		Labels: map[string]string{LabelManagedBy: ManagedBy, LabelRelease: release},
	}}
	setHolder(l, holder, now, ttl)
	return l
}

// takeOver rewrites existing for holder, noting the previous holder.
func takeOver(existing *coordinationv1.Lease, holder string, now time.Time, ttl time.Duration, prev *Holder) *coordinationv1.Lease {
	l := existing.DeepCopy()
	if prev != nil {
		if l.Annotations == nil {
			l.Annotations = map[string]string{}
		}
		l.Annotations[AnnotationPreviousHolder] = prev.String()
		transitions := int32(0)
		if l.Spec.LeaseTransitions != nil {
			transitions = *l.Spec.LeaseTransitions
		}
		transitions++
		l.Spec.LeaseTransitions = &transitions
	}
	setHolder(l, holder, now, ttl)
	return l
}

func setHolder(l *coordinationv1.Lease, holder string, now time.Time, ttl time.Duration) {
	t := metav1.NewMicroTime(now)
	secs := int32(ttl / time.Second)
	l.Spec.HolderIdentity = &holder
	l.Spec.AcquireTime = &t
	l.Spec.RenewTime = &t
	l.Spec.LeaseDurationSeconds = &secs
}

// holderOf reads a lock Lease; nil when nobody holds it.
func holderOf(l *coordinationv1.Lease) *Holder {
	if l == nil || l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
		return nil
	}
	h := &Holder{Identity: *l.Spec.HolderIdentity}
	if l.Spec.AcquireTime != nil {
		h.Since = l.Spec.AcquireTime.Time
	}
	h.RenewedAt = h.Since
	if l.Spec.RenewTime != nil {
		h.RenewedAt = l.Spec.RenewTime.Time
	}
	if l.Spec.LeaseDurationSeconds != nil {
		h.Duration = time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
	}
	h.Previous = l.Annotations[AnnotationPreviousHolder]
	return h
}

// LockHolder returns who holds the release's lock, live or expired, or nil
// when the lock is free. For `kship status`.
func (s *Store) LockHolder(ctx context.Context, ns, release string) (*Holder, error) {
	l, err := s.Typed.CoordinationV1().Leases(ns).Get(ctx, LeaseName(release), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("Lease %s/%s: get: %w", ns, LeaseName(release), err)
	}
	return holderOf(l), nil
}

// Interrupted reports whether rev is a rollout whose kship died: it is still
// pending, and the lock is not held, or has expired, or is held by someone
// else than the process that wrote rev (the caller itself, after taking the
// lock, sees its predecessor's pending revision as interrupted).
func Interrupted(rev *Revision, lock *Holder, now time.Time) bool {
	if rev == nil || rev.Outcome != OutcomePending {
		return false
	}
	return lock == nil || lock.Expired(now) || lock.Identity != rev.By
}
