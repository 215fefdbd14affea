package canary

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// IsLeftover says whether the live Deployment d is a previous Deployment
// kship started for the Deployment named of (PreviousObject): its name,
// the annotation kship.dev/previous-of naming of, and the track label
// previous in its selector and its template. A Deployment that only has
// the name (a user's own <name>-previous) is not kship's and is left alone.
func IsLeftover(d *appsv1.Deployment, of string) bool {
	if d == nil || d.Name != PreviousName(of) || d.Annotations[PreviousOfAnnotation] != of || d.Spec.Selector == nil {
		return false
	}
	return d.Spec.Selector.MatchLabels[TrackLabel] == TrackPrevious && d.Spec.Template.Labels[TrackLabel] == TrackPrevious
}

// removeLeftovers deletes the previous Deployment of each Deployment of
// objs that a run killed before Settle or Revert left behind (IsLeftover),
// and waits until its pods are gone, so its old pods never serve again
// once the Services select as a release has them. It says what it removed
// under stage. The previous Deployment is no kship revision's object (the
// revision records the release's objects), so apply's prune or restore
// would never remove it.
//
// The deletion goes through the typed client, not the mechanism, and
// config does not refuse a canary with mechanism helm or gitops. There
// keepPrevious wrote it through the mechanism, so the mechanism's own
// record still holds it after this deletion: the Helm revision the killed
// run wrote lists it (a helm rollback to that Helm revision brings it
// back), and the git commit it pushed has it, which Flux may apply again
// until the next commit without it lands. Not yet done: deleting it
// through the mechanism's Write for those two (README, Not yet).
func (s *Strategy) removeLeftovers(ctx context.Context, stage event.Stage, objs []manifest.Object) error {
	if s.Env.Clients == nil {
		return nil
	}
	for _, o := range rollout.Deployments(objs) {
		if err := s.removeLeftover(ctx, stage, o.Obj.GetNamespace(), o.Obj.GetName()); err != nil {
			return err
		}
	}
	return nil
}

func (s *Strategy) removeLeftover(ctx context.Context, stage event.Stage, ns, of string) error {
	api := s.Env.Clients.Typed.AppsV1().Deployments(ns)
	d, err := api.Get(ctx, PreviousName(of), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("canary: Deployment %s/%s: read: %w", ns, PreviousName(of), err)
	case !IsLeftover(d, of):
		return nil
	}
	uid := d.UID
	fg := metav1.DeletePropagationForeground
	err = api.Delete(ctx, d.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &fg})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("canary: Deployment %s/%s left by an interrupted run: delete: %w", ns, d.Name, err)
	}
	if err := s.selectorGone(ctx, ns, d.Spec.Selector.MatchLabels); err != nil {
		return fmt.Errorf("canary: Deployment %s/%s left by an interrupted run deleted, but %w", ns, d.Name, err)
	}
	s.Env.Decide(stage, fmt.Sprintf("canary: removed Deployment %s/%s left by an interrupted run (%s: %s, %s: %s; image %s): its pods are gone, so they can serve no more",
		ns, d.Name, PreviousOfAnnotation, of, TrackLabel, TrackPrevious, images(d)))
	return nil
}

// selectorGone waits until no pod matches sel in ns (at most a minute).
func (s *Strategy) selectorGone(ctx context.Context, ns string, sel map[string]string) error {
	u := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"namespace": ns, "name": "selector"},
		"spec": map[string]any{"selector": map[string]any{"matchLabels": toAny(sel)}}}
	if err := s.podsGone(ctx, manifest.Object{Obj: &unstructured.Unstructured{Object: u}}); err != nil {
		return fmt.Errorf("pods %s: %w", labels.SelectorFromSet(sel), err)
	}
	return nil
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func images(d *appsv1.Deployment) string {
	s := ""
	for i, c := range d.Spec.Template.Spec.Containers {
		if i > 0 {
			s += ", "
		}
		s += c.Image
	}
	return s
}

// BeforeRestore removes a previous Deployment a killed canary run left
// behind before the rollback restores (rollback.Stager): the restore
// writes the Services as the restored revision has them, which would
// send traffic to its pods again.
func (s *Strategy) BeforeRestore(ctx context.Context, r rollout.Restore, _ rollout.Writer, _ rollout.Waiter) error {
	var objs []manifest.Object
	if r.From != nil {
		objs = append(objs, r.From.Objects...)
	}
	if r.Target != nil {
		objs = manifest.Union(objs, r.Target.Objects)
	}
	if r.Namespace != "" && s.Env.Clients != nil {
		svcs, err := s.Env.Clients.Typed.CoreV1().Services(r.Namespace).List(ctx, metav1.ListOptions{})
		if err == nil {
			for _, svc := range svcs.Items {
				if svc.Spec.Selector[TrackLabel] == TrackPrevious {
					// A switch back whose end failed: the previous pods
					// serve until the restore writes the Services; the
					// next run removes what is left then.
					s.Env.Decide(event.StageRollback, fmt.Sprintf("canary: Service %s/%s selects %s: %s: the previous pods are kept until the restore writes it", r.Namespace, svc.Name, TrackLabel, TrackPrevious))
					return nil
				}
			}
		}
	}
	return s.removeLeftovers(ctx, event.StageRollback, objs)
}
