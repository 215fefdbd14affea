package record

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/manifest"
)

// Owner is the other release an object belongs to.
type Owner struct {
	Release  string
	Revision int
	Outcome  string
}

func (o Owner) String() string {
	return fmt.Sprintf("kship release %s (revision %d, %s)", o.Release, o.Revision, o.Outcome)
}

// Owners maps every object of the other kship releases recorded in ns to
// the release that applies it: the objects of each release's deployed or
// in-progress (pending, paused) revisions. One release must not take over another's objects
// (its rollback would delete or rewrite them), so Prepare refuses that.
func (s *Store) Owners(ctx context.Context, ns, except string) (map[manifest.Ref]Owner, error) {
	sel := fmt.Sprintf("%s=%s,%s!=%s,%s in (%s,%s,%s)", LabelManagedBy, ManagedBy, LabelRelease, except,
		LabelOutcome, OutcomeDeployed, OutcomePending, OutcomePaused)
	list, err := s.Typed.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("namespace %s: list other releases' revisions: %w", ns, err)
	}
	out := map[manifest.Ref]Owner{}
	for _, sec := range list.Items {
		if sec.Type != SecretType {
			continue
		}
		rev, err := fromSecretData(sec.Data)
		if err != nil {
			return nil, fmt.Errorf("Secret %s/%s: %w", ns, sec.Name, err)
		}
		for _, o := range rev.Objects {
			if cur, ok := out[o.Ref()]; !ok || cur.Revision < rev.Number {
				out[o.Ref()] = Owner{Release: rev.Release, Revision: rev.Number, Outcome: rev.Outcome}
			}
		}
	}
	return out, nil
}
