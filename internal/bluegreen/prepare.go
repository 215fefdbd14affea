package bluegreen

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// PrepareStrategy is the strategy's part of Plan and Prepare: the objects
// as the rollout really writes them (the color Deployment, the active
// Service selecting it, the preview Service), the steps it takes, and what
// would break it, each with its fix. With the cluster it reads the color
// the live active Service selects and, for a migration, the rolling
// Deployment's current pod-template-hash.
func (s *Strategy) PrepareStrategy(ctx context.Context, t rollout.Target) (*rollout.StrategyPreparation, error) {
	bg := t.Release.Spec.Strategy.BlueGreen
	in := Input{Objects: t.Objects, Previous: t.Live, Config: bg, Smoke: t.Release.Spec.Verify.Smoke}
	l, fs := Compute(in)
	if len(fs) == 0 && s.Env.Clients != nil {
		in.LiveColor = s.liveColor(ctx, l.Active)
		if in.LiveColor != "" {
			l, fs = Compute(in)
		}
		if len(fs) == 0 && l.Mode == ModeMigrate {
			if old, ok := find(t.Live, l.Old); ok {
				hash, err := s.currentHash(ctx, old)
				if err != nil {
					fs = append(fs, rollout.Finding{Object: l.Old, Message: err.Error()})
				}
				in.MigrationHash = hash
				l, _ = Compute(in)
			}
		}
	}
	fs = append(fs, s.autoscalers(ctx, t.Objects)...)
	if len(fs) > 0 || l == nil {
		return &rollout.StrategyPreparation{Objects: t.Objects, Findings: fs}, nil
	}
	return &rollout.StrategyPreparation{Objects: l.Objects, Steps: l.Steps(bgOrDefault(bg)), Findings: fs}, nil
}

// liveColor is the color the live active Service selects ("" when it has
// none or cannot be read).
func (s *Strategy) liveColor(ctx context.Context, active manifest.Ref) string {
	svc, err := s.Env.Clients.Typed.CoreV1().Services(active.Namespace).Get(ctx, active.Name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return svc.Spec.Selector[ColorLabel]
}

// autoscalers refuses a HorizontalPodAutoscaler on the Deployment, in the
// bundle or the cluster: two colors under one autoscaler are not supported
// yet.
func (s *Strategy) autoscalers(ctx context.Context, objs []manifest.Object) []rollout.Finding {
	d, _ := theDeployment(objs)
	if d.Obj == nil {
		return nil
	}
	name, ns := d.Obj.GetName(), d.Obj.GetNamespace()
	msg := func() string {
		return fmt.Sprintf("it scales %s, and kship does not run two colors under an autoscaler yet (the replica counts would fight): remove the HorizontalPodAutoscaler for this release, or use strategy RollingUpdate", d.Ref())
	}
	var out []rollout.Finding
	for _, o := range objs {
		gvk := o.GVK()
		kind, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "scaleTargetRef", "kind")
		target, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "scaleTargetRef", "name")
		if gvk.Group == "autoscaling" && gvk.Kind == "HorizontalPodAutoscaler" && kind == "Deployment" && target == name {
			out = append(out, rollout.Finding{Object: o.Ref(), Source: o.Source, Message: msg()})
		}
	}
	if s.Env.Clients == nil {
		return out
	}
	hpas, err := s.Env.Clients.Typed.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, metav1.ListOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return append(out, rollout.Finding{Object: d.Ref(), Message: "list the HorizontalPodAutoscalers: " + err.Error()})
	}
	if hpas != nil {
		for _, h := range hpas.Items {
			t := h.Spec.ScaleTargetRef
			if t.Kind == "Deployment" && (t.Name == name || t.Name == ColorName(name, Blue) || t.Name == ColorName(name, Green)) {
				out = append(out, rollout.Finding{Object: manifest.Ref{Group: "autoscaling", Kind: "HorizontalPodAutoscaler", Namespace: ns, Name: h.Name}, Message: msg()})
			}
		}
	}
	return out
}
