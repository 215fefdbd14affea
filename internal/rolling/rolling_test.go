package rolling

import (
	"context"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

type writer struct {
	wrote []manifest.Object
	err   error
}

func (w *writer) Write(_ context.Context, t rollout.Target) ([]manifest.Object, error) {
	w.wrote = t.Objects
	return t.Objects[:1], w.err
}

type waiter struct{ waited []manifest.Object }

func (w *waiter) Ready(_ context.Context, objs []manifest.Object) error {
	w.waited = objs
	return nil
}

func object(name string) manifest.Object {
	return manifest.Object{Obj: &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name}}}}
}

// The rolling strategy writes the whole revision once and waits for what
// the mechanism says it wrote; a failed write is the trigger, and nothing
// is waited for.
func TestRolloutWritesOnceThenWaitsForWhatWasWritten(t *testing.T) {
	objs := []manifest.Object{object("a"), object("b")}
	w, wt := &writer{}, &waiter{}
	if err := New(rollout.Env{}).Rollout(context.Background(), rollout.Run{Target: rollout.Target{Objects: objs}, Writer: w, Waiter: wt}); err != nil {
		t.Fatal(err)
	}
	if len(w.wrote) != 2 || len(wt.waited) != 1 || wt.waited[0].Obj.GetName() != "a" {
		t.Errorf("wrote %d objects, waited for %v", len(w.wrote), manifest.Refs(wt.waited))
	}
	w, wt = &writer{err: errors.New("apply failed: admission denied")}, &waiter{}
	err := Strategy{}.Rollout(context.Background(), rollout.Run{Target: rollout.Target{Objects: objs}, Writer: w, Waiter: wt})
	if err == nil || err.Error() != "apply failed: admission denied" || wt.waited != nil {
		t.Errorf("failed write: err %v, waited for %v", err, wt.waited)
	}
}
