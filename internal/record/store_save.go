package record

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PruneError reports that a revision was saved but older revisions could not
// be pruned. The save itself succeeded; callers may log it and go on.
type PruneError struct{ Err error }

func (e *PruneError) Error() string { return "prune old revisions: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *PruneError) Unwrap() error { return e.Err }

// Save writes rev to its Secret. A revision read from the cluster or saved
// before is updated with optimistic concurrency (a concurrent change is a
// conflict error); a new revision is created, with the next free number when
// rev.Number is 0. After saving, the release is pruned to Keep revisions,
// always keeping the newest deployed and the newest successful one.
func (s *Store) Save(ctx context.Context, rev *Revision) error {
	if rev.Release == "" || rev.Namespace == "" {
		return errors.New("save revision: release name and namespace are required")
	}
	if rev.recordOnly {
		return fmt.Errorf("release %s/%s revision %d was read without its manifests (ListRecords): Get it before saving", rev.Namespace, rev.Release, rev.Number)
	}
	if rev.Outcome == "" {
		rev.Outcome = OutcomePending
	}
	if rev.KshipVersion == "" {
		rev.KshipVersion = s.Version
	}
	var err error
	switch {
	case rev.resourceVersion != "":
		err = s.update(ctx, rev)
	case rev.Number == 0:
		err = s.createNext(ctx, rev)
	default:
		err = s.create(ctx, rev)
	}
	if err != nil {
		return err
	}
	if err := s.prune(ctx, rev.Namespace, rev.Release); err != nil {
		return &PruneError{Err: err}
	}
	return nil
}

// secretFor builds the Secret object of rev.
func (s *Store) secretFor(rev *Revision) (*corev1.Secret, error) {
	data, err := secretData(rev)
	if err != nil {
		return nil, fmt.Errorf("release %s/%s revision %d: %w", rev.Namespace, rev.Release, rev.Number, err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:            SecretName(rev.Release, rev.Number),
			Namespace:       rev.Namespace,
			ResourceVersion: rev.resourceVersion,
			Labels: map[string]string{
				LabelManagedBy: ManagedBy,
				LabelRelease:   rev.Release,
				LabelRevision:  strconv.Itoa(rev.Number),
				LabelOutcome:   rev.Outcome,
			},
		},
		Type: SecretType,
		Data: data,
	}, nil
}

func (s *Store) create(ctx context.Context, rev *Revision) error {
	sec, err := s.secretFor(rev)
	if err != nil {
		return err
	}
	created, err := s.Typed.CoreV1().Secrets(rev.Namespace).Create(ctx, sec, metav1.CreateOptions{FieldManager: ManagedBy})
	if err != nil {
		return fmt.Errorf("Secret %s/%s: create revision: %w", rev.Namespace, sec.Name, err)
	}
	rev.resourceVersion = created.ResourceVersion
	return nil
}

// createNext creates rev with the number after the highest existing one,
// retrying with the next number when a concurrent writer took it.
func (s *Store) createNext(ctx context.Context, rev *Revision) error {
	for range 5 {
		metas, err := s.listMeta(ctx, rev.Namespace, rev.Release)
		if err != nil {
			return err
		}
		rev.Number = 1
		if len(metas) > 0 {
			rev.Number = metas[0].number + 1
		}
		err = s.create(ctx, rev)
		if !apierrors.IsAlreadyExists(errors.Unwrap(err)) {
			return err
		}
	}
	return fmt.Errorf("release %s/%s: could not find a free revision number (concurrent writers)", rev.Namespace, rev.Release)
}

func (s *Store) update(ctx context.Context, rev *Revision) error {
	sec, err := s.secretFor(rev)
	if err != nil {
		return err
	}
	updated, err := s.Typed.CoreV1().Secrets(rev.Namespace).Update(ctx, sec, metav1.UpdateOptions{FieldManager: ManagedBy})
	if err != nil {
		return fmt.Errorf("Secret %s/%s: update revision: %w", rev.Namespace, sec.Name, err)
	}
	rev.resourceVersion = updated.ResourceVersion
	return nil
}

// revMeta is what the labels of a revision Secret say.
type revMeta struct {
	name    string
	number  int
	outcome string
}

// listMeta lists a release's revision Secrets by their labels, newest first.
func (s *Store) listMeta(ctx context.Context, ns, release string) ([]revMeta, error) {
	list, err := s.Typed.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: selector(release)})
	if err != nil {
		return nil, fmt.Errorf("release %s/%s: list revisions: %w", ns, release, err)
	}
	metas := make([]revMeta, 0, len(list.Items))
	for _, sec := range list.Items {
		n, err := strconv.Atoi(sec.Labels[LabelRevision])
		if err != nil || sec.Type != SecretType {
			continue
		}
		metas = append(metas, revMeta{name: sec.Name, number: n, outcome: sec.Labels[LabelOutcome]})
	}
	sort.Slice(metas, func(i, j int) bool { return metas[i].number > metas[j].number })
	return metas, nil
}

func selector(release string) string {
	return fmt.Sprintf("%s=%s,%s=%s", LabelManagedBy, ManagedBy, LabelRelease, release)
}

// prune keeps Keep revisions: the newest deployed one (in use), the newest
// successful one (deployed or superseded), and the newest of the others.
func (s *Store) prune(ctx context.Context, ns, release string) error {
	metas, err := s.listMeta(ctx, ns, release)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range pruneCandidates(metas, s.keep()) {
		err := s.Typed.CoreV1().Secrets(ns).Delete(ctx, m.name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("Secret %s/%s: %w", ns, m.name, err))
		}
	}
	return errors.Join(errs...)
}

// pruneCandidates picks what prune deletes from metas (newest first): the
// protected revisions keep their place and the rest of the Keep slots go to
// the newest others.
func pruneCandidates(metas []revMeta, keep int) []revMeta {
	protected := map[int]bool{}
	for _, m := range metas {
		if m.outcome == OutcomeDeployed {
			protected[m.number] = true
			break
		}
	}
	for _, m := range metas {
		if m.outcome == OutcomeDeployed || m.outcome == OutcomeSuperseded {
			protected[m.number] = true
			break
		}
	}
	slots := keep - len(protected)
	var out []revMeta
	for _, m := range metas {
		switch {
		case protected[m.number]:
		case slots > 0:
			slots--
		default:
			out = append(out, m)
		}
	}
	return out
}
