package canary

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// Finding is something in a release that would break its canary, with the
// exact change that fixes it.
type Finding = rollout.Finding

// Check finds, before the first write, what in a release's objects would
// break a canary: not exactly one Deployment; a Deployment whose selector
// and template lack the track label (stable and canary pods would overlap:
// selectors are immutable, so kship cannot add it later); a Service that
// selects one track only; a PodDisruptionBudget that would cover both
// tracks; a HorizontalPodAutoscaler of the canary or previous Deployment
// (one of the stable Deployment is handled: kship never writes the
// replicas it owns). typed, when not nil, adds what the cluster shows: a
// live Deployment whose selector lacks the track label.
func Check(ctx context.Context, typed kubernetes.Interface, objs []manifest.Object) []Finding {
	d, fs := rollout.OneDeployment(objs, "a canary release has exactly one Deployment (the one that gets a canary)")
	if len(fs) > 0 {
		return fs
	}
	out := checkTrack(d)
	labels := stringMap(d.Obj, "spec", "template", "metadata", "labels")
	for _, o := range objs {
		out = append(out, checkNeighbour(d, labels, o)...)
	}
	if typed != nil {
		out = append(out, checkLive(ctx, typed, d)...)
	}
	return out
}

// checkTrack asks for the track label in the Deployment's selector and
// template.
func checkTrack(d manifest.Object) []Finding {
	sel := stringMap(d.Obj, "spec", "selector", "matchLabels")
	tmpl := stringMap(d.Obj, "spec", "template", "metadata", "labels")
	if sel[TrackLabel] == TrackStable && tmpl[TrackLabel] == TrackStable {
		return nil
	}
	return []Finding{{Object: d.Ref(), Source: d.Source, Message: fmt.Sprintf("the stable and canary pods must have disjoint selectors: add %s: %s to spec.selector.matchLabels and to spec.template.metadata.labels of %s (%s); the canary gets %s: %s, and the Service keeps selecting both through the labels they share",
		TrackLabel, TrackStable, d.Ref(), d.Source, TrackLabel, TrackCanary)}}
}

// checkNeighbour checks a Service, PodDisruptionBudget or
// HorizontalPodAutoscaler of the release against the Deployment d whose
// pods have labels.
func checkNeighbour(d manifest.Object, labels map[string]string, o manifest.Object) []Finding {
	gvk := o.GVK()
	switch {
	case gvk.Group == "" && gvk.Kind == "Service":
		sel := stringMap(o.Obj, "spec", "selector")
		if len(sel) > 0 && sel[TrackLabel] != "" && selectsIgnoringTrack(sel, labels) {
			return []Finding{{Object: o.Ref(), Source: o.Source, Message: fmt.Sprintf("its selector has %s: %s, so it would send no traffic to the canary (or none to stable): remove %s from spec.selector of %s (%s)",
				TrackLabel, sel[TrackLabel], TrackLabel, o.Ref(), o.Source)}}
		}
	case gvk.Group == "policy" && gvk.Kind == "PodDisruptionBudget":
		sel := stringMap(o.Obj, "spec", "selector", "matchLabels")
		if len(sel) > 0 && sel[TrackLabel] == "" && selects(sel, labels) {
			return []Finding{{Object: o.Ref(), Source: o.Source, Message: fmt.Sprintf("its selector covers the stable and the canary pods, so the canary's pods would count in stable's budget: add %s: %s to spec.selector.matchLabels of %s (%s)",
				TrackLabel, TrackStable, o.Ref(), o.Source)}}
		}
	case gvk.Group == "autoscaling" && gvk.Kind == "HorizontalPodAutoscaler":
		kind, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "scaleTargetRef", "kind")
		name, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "scaleTargetRef", "name")
		if own := d.Obj.GetName(); kind == "Deployment" && (name == Name(own) || name == PreviousName(own)) {
			return []Finding{{Object: o.Ref(), Source: o.Source, Message: fmt.Sprintf("it scales Deployment %s, which kship creates and scales itself during a canary: set spec.scaleTargetRef.name of %s to %s (the stable Deployment; kship never writes the replicas an autoscaler owns) (%s)",
				name, o.Ref(), own, o.Source)}}
		}
	}
	return nil
}

// checkLive checks what the cluster has: the live Deployment's selector
// (immutable).
func checkLive(ctx context.Context, typed kubernetes.Interface, d manifest.Object) []Finding {
	var out []Finding
	ns, name := d.Obj.GetNamespace(), d.Obj.GetName()
	live, err := typed.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		out = append(out, Finding{Object: d.Ref(), Message: "read the live Deployment: " + err.Error()})
	case live.Spec.Selector == nil || live.Spec.Selector.MatchLabels[TrackLabel] != TrackStable:
		out = append(out, Finding{Object: d.Ref(), Message: fmt.Sprintf("the live Deployment's selector has no %s: %s, and a Deployment's selector is immutable: recreate it once (kubectl -n %s delete deployment %s, then kship deploy; its pods are replaced) or keep strategy RollingUpdate",
			TrackLabel, TrackStable, ns, name)})
	}
	return out
}

// selects says whether a matchLabels selector matches labels.
func selects(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// selectsIgnoringTrack is selects without the track label.
func selectsIgnoringTrack(sel, labels map[string]string) bool {
	for k, v := range sel {
		if k != TrackLabel && labels[k] != v {
			return false
		}
	}
	return true
}

func stringMap(u *unstructured.Unstructured, path ...string) map[string]string {
	m, _, _ := unstructured.NestedStringMap(u.Object, path...)
	return m
}
