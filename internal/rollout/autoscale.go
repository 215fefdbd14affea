package rollout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	autoscalingv1ac "k8s.io/client-go/applyconfigurations/autoscaling/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
)

// Autoscaler is a HorizontalPodAutoscaler that scales a Deployment of a
// release: while one does, the Deployment's spec.replicas is the
// autoscaler's, and a strategy never writes it.
type Autoscaler struct {
	Ref manifest.Ref
	// Target is the name of the Deployment it scales (same namespace).
	Target string
	// Min and Max are its bounds (Min 1 when not set, as the API server
	// defaults it).
	Min, Max int
	// Object is its manifest when the release has it; nil when only the
	// cluster has it.
	Object *manifest.Object
}

// String names the autoscaler and its bounds.
func (a Autoscaler) String() string {
	return fmt.Sprintf("%s (min %d, max %d)", a.Ref, a.Min, a.Max)
}

// IsAutoscaler says whether o is a HorizontalPodAutoscaler.
func IsAutoscaler(o manifest.Object) bool {
	gvk := o.GVK()
	return gvk.Group == "autoscaling" && gvk.Kind == "HorizontalPodAutoscaler"
}

// AutoscalersOf are the HorizontalPodAutoscalers among objs that scale a
// Deployment named one of names.
func AutoscalersOf(objs []manifest.Object, names ...string) []Autoscaler {
	var out []Autoscaler
	for i, o := range objs {
		if !IsAutoscaler(o) {
			continue
		}
		kind, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "scaleTargetRef", "kind")
		target, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "scaleTargetRef", "name")
		if kind != "Deployment" || !slices.Contains(names, target) {
			continue
		}
		a := Autoscaler{Ref: o.Ref(), Target: target, Min: 1, Object: &objs[i]}
		if n, ok, _ := unstructured.NestedFieldNoCopy(o.Obj.Object, "spec", "minReplicas"); ok {
			a.Min = asInt(n)
		}
		if n, ok, _ := unstructured.NestedFieldNoCopy(o.Obj.Object, "spec", "maxReplicas"); ok {
			a.Max = asInt(n)
		}
		out = append(out, a)
	}
	return out
}

// LiveAutoscalers are the HorizontalPodAutoscalers of namespace ns in the
// cluster that scale a Deployment named one of names.
func LiveAutoscalers(ctx context.Context, c kubernetes.Interface, ns string, names ...string) ([]Autoscaler, error) {
	list, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the HorizontalPodAutoscalers of namespace %s: %w", ns, err)
	}
	var out []Autoscaler
	for _, h := range list.Items {
		t := h.Spec.ScaleTargetRef
		if t.Kind != "Deployment" || !slices.Contains(names, t.Name) {
			continue
		}
		a := Autoscaler{Ref: manifest.Ref{Group: "autoscaling", Kind: "HorizontalPodAutoscaler", Namespace: ns, Name: h.Name}, Target: t.Name, Min: 1, Max: int(h.Spec.MaxReplicas)}
		if h.Spec.MinReplicas != nil {
			a.Min = int(*h.Spec.MinReplicas)
		}
		out = append(out, a)
	}
	return out, nil
}

func asInt(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}

// Replicas is a Deployment manifest's spec.replicas, and whether it has
// one.
func Replicas(o manifest.Object) (int, bool) {
	v, ok, _ := unstructured.NestedFieldNoCopy(o.Obj.Object, "spec", "replicas")
	if !ok {
		return 0, false
	}
	return asInt(v), true
}

// WithoutReplicas is a copy of the Deployment o without spec.replicas: an
// autoscaler owns them, and a write of o leaves them as they are.
func WithoutReplicas(o manifest.Object) manifest.Object {
	if _, ok := Replicas(o); !ok {
		return o
	}
	u := o.Obj.DeepCopy()
	unstructured.RemoveNestedField(u.Object, "spec", "replicas")
	return manifest.Object{Obj: u, Source: o.Source}
}

// WithReplicas is a copy of the Deployment o with spec.replicas n.
func WithReplicas(o manifest.Object, n int) manifest.Object {
	u := o.Obj.DeepCopy()
	_ = unstructured.SetNestedField(u.Object, int64(n), "spec", "replicas")
	return manifest.Object{Obj: u, Source: o.Source}
}

// Retarget is a copy of the autoscaler manifest o scaling Deployment name.
func Retarget(o manifest.Object, name string) manifest.Object {
	u := o.Obj.DeepCopy()
	_ = unstructured.SetNestedField(u.Object, name, "spec", "scaleTargetRef", "name")
	return manifest.Object{Obj: u, Source: o.Source}
}

// HandOverReplicas keeps the live Deployment ns/name's replica count when
// the next write of it leaves spec.replicas out. Server-side apply removes
// a field its applier stops sending when no one else owns it (the API
// server then defaults replicas to 1), so when kship's apply owns
// spec.replicas, kship first applies that same count through the scale
// subresource (a field owner of its own, as the Kubernetes documentation
// hands replicas over to an autoscaler); the autoscaler's next change
// takes the field from it. It returns the count kept and whether a hand
// over was needed; a Deployment that does not exist needs none.
func HandOverReplicas(ctx context.Context, c kubernetes.Interface, ns, name string) (int, bool, error) {
	d, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("Deployment %s/%s: read it: %w", ns, name, err)
	}
	if d.Spec.Replicas == nil || !appliedReplicas(d.ManagedFields) {
		return 0, false, nil
	}
	n := *d.Spec.Replicas
	scale := autoscalingv1ac.Scale().WithSpec(autoscalingv1ac.ScaleSpec().WithReplicas(n))
	if _, err := c.AppsV1().Deployments(ns).ApplyScale(ctx, name, scale, metav1.ApplyOptions{FieldManager: kube.FieldManager}); err != nil {
		return int(n), false, fmt.Errorf("Deployment %s/%s: hand its %d replicas over before leaving them to the autoscaler: %w", ns, name, n, err)
	}
	return int(n), true, nil
}

// appliedReplicas says whether a server-side apply of the object itself
// (not of its scale subresource) owns spec.replicas.
func appliedReplicas(mf []metav1.ManagedFieldsEntry) bool {
	for _, m := range mf {
		if m.Operation != metav1.ManagedFieldsOperationApply || m.Subresource != "" || m.FieldsV1 == nil {
			continue
		}
		var f map[string]json.RawMessage
		if json.Unmarshal(m.FieldsV1.Raw, &f) != nil {
			continue
		}
		if spec, ok := f["f:spec"]; ok && bytes.Contains(spec, []byte(`"f:replicas"`)) {
			return true
		}
	}
	return false
}
