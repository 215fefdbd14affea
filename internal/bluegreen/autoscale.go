package bluegreen

import (
	"context"
	"fmt"
	"maps"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// A HorizontalPodAutoscaler of the release's Deployment scales the color
// that serves: the revision records it retargeted at its color, and the
// color Deployment without spec.replicas (kship never writes the replicas
// an autoscaler owns). Until the switch the autoscaler is written as the
// previous revision had it (scaling the live color), and the new color
// runs at the live color's count, which kship writes; at the switch the
// new color's count is handed over (rollout.HandOverReplicas) and the
// autoscaler retargeted at it in the same write as the selector; a switch
// back retargets it at the old color, which kept its count.

// autoscale retargets the release's autoscalers of Deployment name at the
// color Deployment colored and leaves its replicas out, in objs.
func autoscale(objs []manifest.Object, name string, colored manifest.Object) ([]manifest.Object, []rollout.Autoscaler) {
	as := rollout.AutoscalersOf(objs, name)
	if len(as) == 0 {
		return objs, nil
	}
	objs = manifest.Replace(objs, colored.Ref(), rollout.WithoutReplicas(colored))
	for _, a := range as {
		objs = manifest.Replace(objs, a.Ref, rollout.Retarget(*a.Object, colored.Obj.GetName()))
	}
	return objs, as
}

// autoscalerFindings refuses an autoscaler of the release that scales a
// color itself, and one only the cluster has (kship could not retarget it
// at the switch), each with its fix.
func autoscalerFindings(objs []manifest.Object, live []rollout.Autoscaler, name string) []rollout.Finding {
	var out []rollout.Finding
	for _, a := range rollout.AutoscalersOf(objs, ColorName(name, Blue), ColorName(name, Green)) {
		out = append(out, rollout.Finding{Object: a.Ref, Source: a.Object.Source, Message: fmt.Sprintf("it scales Deployment %s, a color kship creates: set spec.scaleTargetRef.name of %s to %s (kship points it at the live color) (%s)",
			a.Target, a.Ref, name, a.Object.Source)})
	}
	for _, a := range live {
		if _, ok := manifest.Find(objs, a.Ref); !ok {
			out = append(out, rollout.Finding{Object: a.Ref, Message: fmt.Sprintf("it scales Deployment %s/%s and is not in the release: kship retargets the autoscaler at the live color at each switch, so it must be the release's: add %s to the bundle (scaleTargetRef.name %s), or use strategy RollingUpdate",
				a.Ref.Namespace, a.Target, a.Ref, name)})
		}
	}
	return out
}

// autoscalingStep describes the autoscalers for the plan: live the live
// color's count.
func (l *Layout) autoscalingStep(live int) string {
	if len(l.Autoscalers) == 0 || l.Mode == ModeSame {
		return ""
	}
	names := make([]string, 0, len(l.Autoscalers))
	for _, a := range l.Autoscalers {
		names = append(names, a.String())
	}
	ns := l.Active.Namespace
	if l.Mode == ModeFirst {
		return fmt.Sprintf("autoscaled: %s scales Deployment %s/%s: kship never writes its replicas", strings.Join(names, ", "), ns, l.Deployment.Name)
	}
	count := "the live color's count, read at the rollout"
	if live > 0 {
		count = fmt.Sprintf("the live color's count, %d now", live)
	}
	return fmt.Sprintf("autoscaled: %s scales Deployment %s/%s until the switch, kship never writes the replicas it owns: Deployment %s/%s starts at %s (kship writes that count only until the switch); the switch retargets the autoscaler at Deployment %s/%s in the same write as the selector (its count handed over first), a switch back retargets it at Deployment %s/%s, which kept its count; after the release the revision records it on Deployment %s/%s",
		strings.Join(names, ", "), ns, l.Old.Name, ns, l.Deployment.Name, count, ns, l.Deployment.Name, ns, l.Old.Name, ns, l.Deployment.Name)
}

// liveReplicas is the live count of Deployment d (its manifest's when the
// cluster cannot be read).
func (s *Strategy) liveReplicas(ctx context.Context, d manifest.Object) int {
	if s.Env.Clients != nil {
		live, err := s.Env.Clients.Typed.AppsV1().Deployments(d.Obj.GetNamespace()).Get(ctx, d.Obj.GetName(), metav1.GetOptions{})
		if err == nil && live.Spec.Replicas != nil {
			return int(*live.Spec.Replicas)
		}
	}
	return replicasOf(d)
}

// autoscaledObjects are objs for a write in which the active Service
// selects sel: the autoscalers scale the color it selects. Selecting the
// new color, objs are the revision's (the autoscalers on it); otherwise
// the autoscalers are as the previous revision had them (one it did not
// have is not written) and the new color runs at the live color's count
// until the first switch (after a switch back it keeps what it has).
func (b *run) autoscaledObjects(sel map[string]string, objs []manifest.Object) []manifest.Object {
	if len(b.autoscalers) == 0 || maps.Equal(sel, stringMap(b.active.Obj, "spec", "selector")) {
		return objs
	}
	for _, a := range b.autoscalers {
		if prev, ok := manifest.Find(b.r.Live, a.Ref); ok {
			objs = manifest.Replace(objs, a.Ref, prev)
		} else {
			objs = manifest.Replace(objs, a.Ref)
		}
	}
	if b.switched.IsZero() {
		objs = manifest.Replace(objs, b.newD.Ref(), rollout.WithReplicas(b.newD, b.oldReplicas))
	}
	return objs
}

// handOver hands the new color's count over before a write leaves its
// replicas to the autoscaler.
func (b *run) handOver(ctx context.Context) error {
	if len(b.autoscalers) == 0 || b.s.Env.Clients == nil {
		return nil
	}
	n, did, err := rollout.HandOverReplicas(ctx, b.s.Env.Clients.Typed, b.newD.Obj.GetNamespace(), b.newD.Obj.GetName())
	if err != nil {
		return fmt.Errorf("blue-green: %w", err)
	}
	if did {
		b.s.Env.Decide(event.StageRollout, fmt.Sprintf("blue-green: %s: its %d replicas handed over to %s (kship no longer writes them)", b.newD.Ref(), n, autoscalerNames(b.autoscalers)))
	}
	return nil
}

func autoscalerNames(as []rollout.Autoscaler) string {
	names := make([]string, 0, len(as))
	for _, a := range as {
		names = append(names, a.Ref.String())
	}
	return strings.Join(names, ", ")
}
