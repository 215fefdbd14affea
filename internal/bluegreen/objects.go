package bluegreen

import (
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// ColorLabel keeps the two colors' pods apart: each color Deployment's
// selector and template carry it, and the active and preview Services
// select one value.
const ColorLabel = "kship.dev/color"

// The two colors.
const (
	Blue  = "blue"
	Green = "green"
)

// Annotations kship puts on the objects it derives, so a later release
// (and its rollout) finds them.
const (
	// ColorOfAnnotation marks a color Deployment with the name of the
	// Deployment of the bundle it runs.
	ColorOfAnnotation = "kship.dev/color-of"
	// ActiveOfAnnotation marks the Service live traffic goes through.
	ActiveOfAnnotation = "kship.dev/active-of"
	// PreviewOfAnnotation marks the preview Service kship adds.
	PreviewOfAnnotation = "kship.dev/preview-of"
)

// HashLabel is the label the Deployment controller puts on the pods of
// one ReplicaSet: a rolling Deployment's pods are selected by it while the
// workload migrates (its selector is immutable, it cannot get a color).
const HashLabel = "pod-template-hash"

// Other is the other color.
func Other(color string) string {
	if color == Blue {
		return Green
	}
	return Blue
}

// ColorName is the name of a Deployment's color Deployment.
func ColorName(deployment, color string) string { return deployment + "-" + color }

// ColorObject is the color Deployment of the bundle's Deployment d: the
// same spec under <name>-<color>, the color label in its labels, selector
// and template, marked with ColorOfAnnotation.
func ColorObject(d manifest.Object, color string) (manifest.Object, error) {
	u := d.Obj.DeepCopy()
	u.SetName(ColorName(d.Obj.GetName(), color))
	setAnnotation(u, ColorOfAnnotation, d.Obj.GetName())
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[ColorLabel] = color
	u.SetLabels(labels)
	for _, path := range [][]string{{"spec", "selector", "matchLabels"}, {"spec", "template", "metadata", "labels"}} {
		if err := unstructured.SetNestedField(u.Object, color, append(path, ColorLabel)...); err != nil {
			return manifest.Object{}, fmt.Errorf("%s: %w", d.Ref(), err)
		}
	}
	return manifest.Object{Obj: u, Source: d.Source}, nil
}

// WithSelector is the Service s selecting sel, marked with annotation
// key: name (nothing when key is empty).
func WithSelector(s manifest.Object, sel map[string]string, key, name string) manifest.Object {
	u := s.Obj.DeepCopy()
	m := map[string]any{}
	for k, v := range sel {
		m[k] = v
	}
	_ = unstructured.SetNestedField(u.Object, m, "spec", "selector")
	if key != "" {
		setAnnotation(u, key, name)
	}
	return manifest.Object{Obj: u, Source: s.Source}
}

// PreviewObject is the preview Service of the active Service s: its
// labels and ports under name, of type ClusterIP (no node ports, no load
// balancer: it is reached from inside, or by the ingress), selecting sel.
func PreviewObject(s manifest.Object, name, deployment string, sel map[string]string) manifest.Object {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Service"}}
	u.SetName(name)
	u.SetNamespace(s.Obj.GetNamespace())
	if l := s.Obj.GetLabels(); len(l) > 0 {
		u.SetLabels(maps.Clone(l))
	}
	u.SetAnnotations(map[string]string{PreviewOfAnnotation: deployment})
	var ports []any
	raw, _, _ := unstructured.NestedSlice(s.Obj.Object, "spec", "ports")
	for _, p := range raw {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		port := map[string]any{}
		for _, k := range []string{"name", "port", "targetPort", "protocol", "appProtocol"} {
			if v, ok := pm[k]; ok {
				port[k] = v
			}
		}
		ports = append(ports, port)
	}
	m := map[string]any{}
	for k, v := range sel {
		m[k] = v
	}
	u.Object["spec"] = map[string]any{"type": "ClusterIP", "ports": ports, "selector": m}
	return manifest.Object{Obj: u, Source: s.Source}
}

func setAnnotation(u *unstructured.Unstructured, k, v string) {
	ann := u.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[k] = v
	u.SetAnnotations(ann)
}

// colorOf is a color Deployment's color ("" for another object).
func colorOf(o manifest.Object) string {
	if !rollout.IsDeployment(o) || o.Obj.GetAnnotations()[ColorOfAnnotation] == "" {
		return ""
	}
	return stringMap(o.Obj, "spec", "selector", "matchLabels")[ColorLabel]
}

// sameTemplate says whether two Deployments run the same pod template,
// their color labels aside.
func sameTemplate(a, b manifest.Object) bool {
	return equality.Semantic.DeepEqual(templateWithoutColor(a), templateWithoutColor(b))
}

func templateWithoutColor(o manifest.Object) map[string]any {
	t, _, _ := unstructured.NestedMap(o.Obj.Object, "spec", "template")
	if t != nil {
		unstructured.RemoveNestedField(t, "metadata", "labels", ColorLabel)
	}
	return t
}

func isService(o manifest.Object) bool {
	gvk := o.GVK()
	return gvk.Group == "" && gvk.Kind == "Service"
}

// selects says whether a selector (non-empty) matches labels.
func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func stringMap(u *unstructured.Unstructured, path ...string) map[string]string {
	m, _, _ := unstructured.NestedStringMap(u.Object, path...)
	return m
}

// with is m plus k: v (a copy).
func with(m map[string]string, k, v string) map[string]string {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]string{}
	}
	out[k] = v
	return out
}

// replicasOf is a Deployment manifest's spec.replicas (1 when not set).
func replicasOf(o manifest.Object) int {
	v, _, _ := unstructured.NestedFieldNoCopy(o.Obj.Object, "spec", "replicas")
	switch n := v.(type) {
	case int64:
		return int(n)
	case float64: // decoded from JSON
		return int(n)
	}
	return 1
}
