package rollout_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/testenv"
)

const handoverDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: app:v1}]
`

// TestE2EHandOverReplicasKeepsTheCount: a Deployment kship applied with
// 4 replicas, applied again without spec.replicas, keeps 4 when the
// replicas were handed over first; without the hand over the API server
// drops them to its default of 1 (so the test would fail if the hand
// over did nothing).
func TestE2EHandOverReplicasKeepsTheCount(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	for _, handOver := range []bool{true, false} {
		ns := testenv.Namespace(t, env, "handover-")
		objs, err := manifest.Decode("web.yaml", []byte(handoverDeployment))
		if err != nil {
			t.Fatal(err)
		}
		apply := func(o manifest.Object) {
			t.Helper()
			u := o.Obj.DeepCopy()
			u.SetNamespace(ns)
			data, err := u.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			force := true
			if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "web", types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: kube.FieldManager, Force: &force}); err != nil {
				t.Fatal(err)
			}
		}
		apply(objs[0])
		if handOver {
			n, did, err := rollout.HandOverReplicas(t.Context(), cs, ns, "web")
			if err != nil || !did || n != 4 {
				t.Fatalf("hand over: %d %v %v, want 4 true", n, did, err)
			}
		}
		apply(rollout.WithoutReplicas(objs[0]))
		d, err := cs.AppsV1().Deployments(ns).Get(t.Context(), "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := int32(1)
		if handOver {
			want = 4
		}
		if *d.Spec.Replicas != want {
			t.Errorf("hand over %v: replicas %d after an apply without them, want %d", handOver, *d.Spec.Replicas, want)
		}
		if handOver {
			if _, again, err := rollout.HandOverReplicas(t.Context(), cs, ns, "web"); err != nil || again {
				t.Errorf("a second hand over = %v %v, want none needed", again, err)
			}
		}
	}
}
