package canary

import (
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
)

// TrackLabel is the label that keeps the stable and canary pods apart: the
// stable Deployment's selector and template carry it with value stable,
// the canary's with value canary, and the Service selects both through the
// labels they share.
const TrackLabel = "kship.dev/track"

// Track values.
const (
	TrackStable = "stable"
	TrackCanary = "canary"
)

// CanaryOfAnnotation marks the canary Deployment with the name of the
// Deployment it is the canary of.
const CanaryOfAnnotation = "kship.dev/canary-of"

// Count is the canary's replica count closest to weight percent of the
// ready pods beside stable replicas that keep their count: c/(stable+c)
// nearest weight/100, at least 1 (and stable keeps at least 1) for weights
// 1..99. Weight 100 is the promotion (the canary count is stable's).
func Count(stable, weight int) int {
	if stable < 1 {
		stable = 1
	}
	if weight >= 100 {
		return stable
	}
	x := float64(weight*stable) / float64(100-weight)
	best, bestDiff := 1, math.Inf(1)
	for _, c := range []int{int(math.Floor(x)), int(math.Ceil(x))} {
		if c < 1 {
			c = 1
		}
		if d := math.Abs(Share(stable, c) - float64(weight)/100); d < bestDiff {
			best, bestDiff = c, d
		}
	}
	return best
}

// Share is the canary's share of ready pods with stable and canary pods.
func Share(stable, canary int) float64 {
	if stable+canary == 0 {
		return 0
	}
	return float64(canary) / float64(stable+canary)
}

// Name is the canary Deployment's name for a Deployment.
func Name(deployment string) string { return deployment + "-canary" }

// CanaryObject is the canary Deployment of the new Deployment d: the same
// template under the canary's name, its track label canary in the selector
// and the template, with replicas pods.
func CanaryObject(d manifest.Object, replicas int) (manifest.Object, error) {
	u := d.Obj.DeepCopy()
	u.SetName(Name(d.Obj.GetName()))
	ann := u.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[CanaryOfAnnotation] = d.Obj.GetName()
	u.SetAnnotations(ann)
	if err := unstructured.SetNestedField(u.Object, int64(replicas), "spec", "replicas"); err != nil {
		return manifest.Object{}, fmt.Errorf("%s: %w", d.Ref(), err)
	}
	for _, path := range [][]string{{"spec", "selector", "matchLabels"}, {"spec", "template", "metadata", "labels"}} {
		if err := unstructured.SetNestedField(u.Object, TrackCanary, append(path, TrackLabel)...); err != nil {
			return manifest.Object{}, fmt.Errorf("%s: %w", d.Ref(), err)
		}
	}
	return manifest.Object{Obj: u, Source: d.Source}, nil
}

// templateOf is a Deployment's pod template, nil when it has none.
func templateOf(o manifest.Object) map[string]any {
	t, _, _ := unstructured.NestedMap(o.Obj.Object, "spec", "template")
	return t
}

// replicasOf is a Deployment manifest's spec.replicas (1 when not set, as
// the API server defaults it).
func replicasOf(o manifest.Object) int {
	n, ok, _ := unstructured.NestedInt64(o.Obj.Object, "spec", "replicas")
	if !ok {
		return 1
	}
	return int(n)
}
