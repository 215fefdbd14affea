package plan

import (
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A conflict is Helm's own client-side one only when every cause names
// the writer's field manager as an Update of the object itself, in the
// words the API server uses (`conflict with "helm" using v1`).
func TestOwnClientSide(t *testing.T) {
	conflict := func(msgs ...string) error {
		var causes []metav1.StatusCause
		for _, m := range msgs {
			causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Message: m, Field: ".data.X"})
		}
		return apierrors.NewApplyConflict(causes, "Apply failed")
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"helm's Update", conflict(`conflict with "helm" using v1`), true},
		{"helm's Update with a time", conflict(`conflict with "helm" using apps/v1 at 2026-12-01T22:00:00Z`, `conflict with "helm" using apps/v1`), true},
		{"another manager too", conflict(`conflict with "helm" using v1`, `conflict with "kubectl-edit" using v1`), false},
		{"another manager only", conflict(`conflict with "kubectl-client-side-apply" using v1`), false},
		{"a manager whose name starts with helm", conflict(`conflict with "helm-operator" using v1`), false},
		{"helm's Apply (another subresource)", conflict(`conflict with "helm" with subresource "status" using v1`), false},
		{"helm's apply entry", conflict(`conflict with "helm"`), false},
		{"no causes", apierrors.NewApplyConflict(nil, "Apply failed"), false},
		{"not an API error", errors.New(`conflict with "helm" using v1`), false},
	} {
		if got := ownClientSide(tc.err, "helm"); got != tc.want {
			t.Errorf("%s: ownClientSide = %v, want %v", tc.name, got, tc.want)
		}
	}
}
