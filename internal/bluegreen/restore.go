package bluegreen

import (
	"context"
	"fmt"
	"maps"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// restorePlan is what a rollback that moves the active Service does
// before the mechanism's exact restore.
type restorePlan struct {
	// active is the active Service; target its selector in the restored
	// revision, from its selector in the rolled-back one.
	active       manifest.Ref
	targetActive manifest.Object
	target, from map[string]string
	// start are the restored revision's Deployments; keep the rolled-back
	// revision's that it lacks (the color that serves until the switch).
	start, keep []manifest.Object
}

// planRestore finds the active Service of a restore and the Deployments on
// each side; nil when the restore has no active Service of a blue-green
// release on both sides, or removes the release.
func planRestore(r rollout.Restore) *restorePlan {
	if r.Target == nil || r.From == nil {
		return nil
	}
	var p restorePlan
	for _, objs := range [][]manifest.Object{r.From.Objects, r.Target.Objects} {
		for _, o := range objs {
			if isService(o) && o.Obj.GetAnnotations()[ActiveOfAnnotation] != "" && p.active.Name == "" {
				p.active = o.Ref()
			}
		}
	}
	ta, ok := manifest.Find(r.Target.Objects, p.active)
	if p.active.Name == "" || !ok {
		return nil
	}
	p.targetActive, p.target = ta, stringMap(ta.Obj, "spec", "selector")
	if fa, ok := manifest.Find(r.From.Objects, p.active); ok {
		p.from = stringMap(fa.Obj, "spec", "selector")
	}
	for _, o := range r.Target.Objects {
		if rollout.IsDeployment(o) {
			p.start = append(p.start, o)
		}
	}
	for _, o := range r.From.Objects {
		if _, ok := manifest.Find(r.Target.Objects, o.Ref()); rollout.IsDeployment(o) && !ok {
			p.keep = append(p.keep, o)
		}
	}
	return &p
}

// BeforeRestore makes a rollback move live traffic as a release does:
// when the active Service selects other pods than the restored revision's
// (the live color is not the one restored), the restored revision's
// Deployment is written beside the one that serves, with the active
// Service keeping the selector it has in the cluster, and waited for
// until it is Available; then the selector switches to it. Removing the
// other color is left to the mechanism's exact restore. A restored
// rolling Deployment (a migrated release rolled back) is selected by its
// pod-template-hash at the switch and the color removed before the
// restore writes the Service's own selector, so the color's pods never
// get traffic while they are deleted.
func (s *Strategy) BeforeRestore(ctx context.Context, r rollout.Restore, w rollout.Writer, wait rollout.Waiter) error {
	p := planRestore(r)
	if p == nil {
		return nil
	}
	live := s.liveSelector(ctx, p.active, p.from)
	if maps.Equal(live, p.target) || len(p.start) == 0 {
		return nil
	}
	keep := s.existing(ctx, p.keep)
	rel := *r.TargetRelease
	rel.Spec.Migrations = nil // the restore runs them (down Jobs) as it does without stages
	base := manifest.WithoutJobs(r.Target.Objects, r.TargetRelease.MigrationJobs())
	t := rollout.Target{Release: &rel, Namespace: r.Namespace, Revision: r.Number}
	objsWith := func(sel map[string]string, extra []manifest.Object) []manifest.Object {
		return append(manifest.Replace(base, p.active, WithSelector(p.targetActive, sel, "", "")), extra...)
	}
	t.Objects = objsWith(live, keep)
	if _, err := w.Write(ctx, t); err != nil {
		return fmt.Errorf("blue-green: start %s beside what %s selects: %w", refs(p.start), p.active, err)
	}
	if err := wait.Ready(ctx, p.start); err != nil {
		return fmt.Errorf("blue-green: %s did not become Available, %s still selects %s (never switched to it): %w", refs(p.start), p.active, describe(live), err)
	}
	s.Env.Decide(event.StageRollback, fmt.Sprintf("blue-green: %s of revision %d is Available beside %s; %s still selects %s", refs(p.start), r.Target.Number, refs(keep), p.active, describe(live)))
	sel, narrowed := s.switchSelector(ctx, p, keep)
	t.Objects = objsWith(sel, keep)
	if _, err := w.Write(ctx, t); err != nil {
		return fmt.Errorf("blue-green: switch %s to %s: %w", p.active, describe(sel), err)
	}
	sw := Switch{Service: p.active.String(), From: live, To: sel, At: s.Env.Now(), Reason: fmt.Sprintf("rollback to revision %d", r.Target.Number)}
	emitSwitch(s.Env, event.StageRollback, sw, fmt.Sprintf("blue-green: switched: %s selects %s (was %s), %s Available; the restore removes %s", p.active, describe(sel), describe(live), refs(p.start), refs(keep)))
	if !narrowed {
		return nil
	}
	t.Objects, t.Live = objsWith(sel, nil), keep
	if _, err := w.Write(ctx, t); err != nil {
		return fmt.Errorf("blue-green: remove %s: %w", refs(keep), err)
	}
	return nil
}

// switchSelector is the restored revision's selector of the active
// Service, narrowed to the restored Deployment's pods by their
// pod-template-hash when it would select the kept color's pods too (a
// rolling Deployment's Service selects the colors' pods, which carry its
// labels).
func (s *Strategy) switchSelector(ctx context.Context, p *restorePlan, keep []manifest.Object) (map[string]string, bool) {
	overlap := false
	for _, k := range keep {
		overlap = overlap || selects(p.target, stringMap(k.Obj, "spec", "template", "metadata", "labels"))
	}
	if !overlap || s.Env.Clients == nil {
		return p.target, false
	}
	pods, err := rollout.RevisionPods(ctx, s.Env.Clients.Typed, p.active.Namespace, p.start)
	if err != nil || len(pods.Hashes) != 1 {
		return p.target, false
	}
	return with(p.target, HashLabel, pods.Hashes[0]), true
}

// liveSelector is the active Service's selector in the cluster (fallback
// when it cannot be read).
func (s *Strategy) liveSelector(ctx context.Context, ref manifest.Ref, fallback map[string]string) map[string]string {
	if s.Env.Clients == nil {
		return fallback
	}
	svc, err := s.Env.Clients.Typed.CoreV1().Services(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return fallback
	}
	return svc.Spec.Selector
}

// existing are the Deployments of ds the cluster has (all of them when
// it cannot be read): the stages keep what runs, and create nothing that
// does not.
func (s *Strategy) existing(ctx context.Context, ds []manifest.Object) []manifest.Object {
	if s.Env.Clients == nil {
		return ds
	}
	var out []manifest.Object
	for _, d := range ds {
		_, err := s.Env.Clients.Typed.AppsV1().Deployments(d.Obj.GetNamespace()).Get(ctx, d.Obj.GetName(), metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			out = append(out, d)
		}
	}
	return out
}

func refs(objs []manifest.Object) string {
	if len(objs) == 0 {
		return "(nothing)"
	}
	s := objs[0].Ref().String()
	for _, o := range objs[1:] {
		s += ", " + o.Ref().String()
	}
	return s
}

func emitSwitch(env rollout.Env, stage event.Stage, sw Switch, msg string) {
	if env.Sink == nil {
		return
	}
	env.Sink.Emit(event.Event{Time: env.Now(), Stage: stage, Type: event.TypeBlueGreen, Object: sw.Service, Message: msg, Data: sw})
}
