package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultSaveWithin is how long SaveRetrying keeps trying by default: an
// API server restarted in place is back well within it.
const DefaultSaveWithin = 60 * time.Second

// SaveRetrying saves rev as Save does, retrying for up to within (when the
// API server cannot be reached, times out, or answers 429 or 5xx) so that a
// result is recorded across a short API-server outage. A refusal (a 4xx
// other than 429: conflict, invalid, forbidden) is not retried. A conflict
// or AlreadyExists after a failed try is checked against the stored
// revision: when it already holds rev's record, the earlier try was applied
// and only its answer was lost, so the save is done. A failure to prune old
// revisions is not a failed save (Save's PruneError is returned as it is).
// retry, when set, is told of each failed try that will be retried.
func (s *Store) SaveRetrying(ctx context.Context, rev *Revision, within time.Duration, retry func(err error, next time.Duration)) error {
	if within <= 0 {
		within = DefaultSaveWithin
	}
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	backoff := 500 * time.Millisecond
	var last error
	for try := 0; ; try++ {
		err := s.saveTry(ctx, rev)
		var prune *PruneError
		if err == nil || errors.As(err, &prune) {
			return err
		}
		if try > 0 && (apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)) && s.holds(ctx, rev) {
			return nil
		}
		if !Transient(err) {
			return err
		}
		last = err
		if retry != nil {
			retry(err, backoff)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("gave up after %s: %w", within, last)
		case <-t.C:
		}
		backoff = min(2*backoff, 4*time.Second)
	}
}

// saveTry is one Save with its own timeout, so a hung connection does not
// use the whole bound.
func (s *Store) saveTry(ctx context.Context, rev *Revision) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return s.Save(ctx, rev)
}

// holds reports whether the stored revision already has rev's record; it
// then takes the stored resourceVersion.
func (s *Store) holds(ctx context.Context, rev *Revision) bool {
	want, err := secretData(rev)
	if err != nil {
		return false
	}
	sec, err := s.Typed.CoreV1().Secrets(rev.Namespace).Get(ctx, SecretName(rev.Release, rev.Number), metav1.GetOptions{})
	if err != nil || !bytes.Equal(sec.Data[keyRecord], want[keyRecord]) {
		return false
	}
	rev.resourceVersion = sec.ResourceVersion
	return true
}

// Transient reports whether err may pass by itself: the API server could
// not be reached, timed out, or answered 429 or 5xx. A 4xx answer is the
// server refusing the request, which repeating does not change.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		code := int(st.Status().Code)
		return code == http.StatusTooManyRequests || code >= 500 || code == 0
	}
	return true
}
