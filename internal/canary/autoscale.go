package canary

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// A HorizontalPodAutoscaler that scales the stable Deployment owns its
// replicas, so kship never writes them: the Deployment is written without
// spec.replicas (the revision records it so), its count handed over first
// when kship's apply owned it; each canary count is computed from
// stable's live count; the autoscaler scales stable's pods only (its
// target's selector has the track label), while the canary and previous
// Deployments have counts of their own. During the steps the autoscaler
// keeps the previous revision's spec (it belongs to stable, which does
// not change); the new one is written at the promotion.

// autoscalers are the autoscalers of the release's Deployment d: those of
// objs, and those the cluster has (nil offline).
func (s *Strategy) autoscalers(ctx context.Context, objs []manifest.Object, d manifest.Object) (bundle, live []rollout.Autoscaler) {
	bundle = rollout.AutoscalersOf(objs, d.Obj.GetName())
	if s.Env.Clients != nil {
		live, _ = rollout.LiveAutoscalers(ctx, s.Env.Clients.Typed, d.Obj.GetNamespace(), d.Obj.GetName())
	}
	return bundle, live
}

// unscaled is objs with the Deployment d written without spec.replicas
// when an autoscaler scales it.
func unscaled(objs []manifest.Object, d manifest.Object, scaled bool) []manifest.Object {
	if _, ok := rollout.Replicas(d); !scaled || !ok {
		return objs
	}
	return manifest.Replace(objs, d.Ref(), rollout.WithoutReplicas(d))
}

// stepObjects are the release's objects during the steps: the stable
// Deployment replaced by with (stable as the previous revision wrote it,
// and the canary), and the autoscalers of the Deployment as the previous
// revision had them (one it did not have is not written yet).
func (c *run) stepObjects(with ...manifest.Object) []manifest.Object {
	objs := manifest.Replace(c.r.Objects, c.next.Ref(), with...)
	for _, a := range rollout.AutoscalersOf(c.r.Objects, c.next.Obj.GetName()) {
		if prev, ok := manifest.Find(c.r.Live, a.Ref); ok {
			objs = manifest.Replace(objs, a.Ref, prev)
		} else {
			objs = manifest.Replace(objs, a.Ref)
		}
	}
	return objs
}

// handOver keeps the live count of Deployment o when it is about to be
// written without spec.replicas and kship's apply owned them.
func (s *Strategy) handOver(ctx context.Context, o manifest.Object) error {
	if _, ok := rollout.Replicas(o); ok || s.Env.Clients == nil {
		return nil
	}
	n, did, err := rollout.HandOverReplicas(ctx, s.Env.Clients.Typed, o.Obj.GetNamespace(), o.Obj.GetName())
	if err != nil {
		return fmt.Errorf("canary: %w", err)
	}
	if did {
		s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: %s: its %d replicas handed over (kship's apply no longer owns them, the autoscaler does)", o.Ref(), n))
	}
	return nil
}

// Autoscaling describes, for the plan, how the autoscalers as of the
// Deployment d and the PodDisruptionBudgets of objs live beside the
// canary, with stable at stable replicas.
func Autoscaling(d manifest.Object, as []rollout.Autoscaler, stable int, objs []manifest.Object) []string {
	var out []string
	if len(as) > 0 {
		left := "its spec.replicas is not written"
		if n, ok := rollout.Replicas(d); ok {
			left = fmt.Sprintf("the manifest's spec.replicas %d is left out", n)
		}
		out = append(out, fmt.Sprintf("autoscaled: %s scales %s, so kship never writes its replicas (%s; the autoscaler's count stays): each canary count comes from stable's live count (%d now); the autoscaler covers stable's pods only (its target's selector has %s: %s), never the canary's or the previous pods, which have counts of their own; it keeps the previous revision's spec during the steps, the new one is written at the promotion, and an abort leaves it as it was",
			refsOf(as), d.Ref(), left, stable, TrackLabel, TrackStable))
	}
	tmpl := stringMap(d.Obj, "spec", "template", "metadata", "labels")
	for _, o := range objs {
		gvk := o.GVK()
		sel := stringMap(o.Obj, "spec", "selector", "matchLabels")
		if gvk.Group == "policy" && gvk.Kind == "PodDisruptionBudget" && sel[TrackLabel] == TrackStable && selectsIgnoringTrack(sel, tmpl) {
			out = append(out, fmt.Sprintf("disruption budget: %s covers stable's pods only (%s: %s): the canary's and the previous pods are outside its budget and never count in it",
				o.Ref(), TrackLabel, TrackStable))
		}
	}
	return out
}
