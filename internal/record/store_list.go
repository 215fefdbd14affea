package record

import (
	"context"
	"errors"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ErrNotFound is wrapped by Get when the revision does not exist.
var ErrNotFound = errors.New("revision not found")

// List returns every kept revision of a release, newest first.
func (s *Store) List(ctx context.Context, ns, release string) ([]Revision, error) {
	return s.list(ctx, ns, release, fromSecretData, false)
}

// list reads a release's revision Secrets with one LIST and decodes each
// with decode; partial marks revisions read without their manifests.
func (s *Store) list(ctx context.Context, ns, release string, decode func(map[string][]byte) (*Revision, error), partial bool) ([]Revision, error) {
	list, err := s.Typed.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: selector(release)})
	if err != nil {
		return nil, fmt.Errorf("release %s/%s: list revisions: %w", ns, release, err)
	}
	revs := make([]Revision, 0, len(list.Items))
	var errs []error
	for _, sec := range list.Items {
		if sec.Type != SecretType {
			continue
		}
		rev, err := decode(sec.Data)
		if err != nil {
			errs = append(errs, fmt.Errorf("Secret %s/%s: %w", ns, sec.Name, err))
			continue
		}
		rev.resourceVersion, rev.recordOnly = sec.ResourceVersion, partial
		revs = append(revs, *rev)
	}
	sortNewestFirst(revs)
	return revs, errors.Join(errs...)
}

// Get returns revision number of a release; the error wraps ErrNotFound
// when it does not exist (or was pruned).
func (s *Store) Get(ctx context.Context, ns, release string, number int) (*Revision, error) {
	name := SecretName(release, number)
	sec, err := s.Typed.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("release %s/%s: revision %d: %w", ns, release, number, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("Secret %s/%s: get revision: %w", ns, name, err)
	}
	if sec.Type != SecretType {
		return nil, fmt.Errorf("Secret %s/%s: type %q is not a kship revision (%s)", ns, name, sec.Type, SecretType)
	}
	rev, err := fromSecretData(sec.Data)
	if err != nil {
		return nil, fmt.Errorf("Secret %s/%s: %w", ns, name, err)
	}
	rev.resourceVersion = sec.ResourceVersion
	return rev, nil
}

func sortNewestFirst(revs []Revision) {
	sort.Slice(revs, func(i, j int) bool { return revs[i].Number > revs[j].Number })
}

// ListRecords is List without the manifests and release files: the JSON
// records only, cheap enough for `kship history` and `kship status` on big
// releases. Get a revision to read its manifests.
func (s *Store) ListRecords(ctx context.Context, ns, release string) ([]Revision, error) {
	return s.list(ctx, ns, release, recordOnly, true)
}
