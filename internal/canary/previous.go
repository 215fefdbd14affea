package canary

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// TrackPrevious is the track of the previous Deployment: the previous
// revision's pods kept running, out of traffic, from the promotion until
// Stabilize is over.
const TrackPrevious = "previous"

// PreviousOfAnnotation marks the previous Deployment with the name of the
// Deployment whose previous template it runs.
const PreviousOfAnnotation = "kship.dev/previous-of"

// PreviousName is the previous Deployment's name for a Deployment.
func PreviousName(deployment string) string { return deployment + "-previous" }

// PreviousObject is the previous Deployment of the stable Deployment's
// previous manifest: its template under the previous name, the track
// label previous in the selector and the template, with replicas pods.
func PreviousObject(stable manifest.Object, replicas int) (manifest.Object, error) {
	u := stable.Obj.DeepCopy()
	u.SetName(PreviousName(stable.Obj.GetName()))
	u.SetAnnotations(map[string]string{PreviousOfAnnotation: stable.Obj.GetName()})
	u.SetResourceVersion("")
	u.SetUID("")
	unstructured.RemoveNestedField(u.Object, "status")
	if err := unstructured.SetNestedField(u.Object, int64(replicas), "spec", "replicas"); err != nil {
		return manifest.Object{}, fmt.Errorf("%s: %w", stable.Ref(), err)
	}
	for _, path := range [][]string{{"spec", "selector", "matchLabels"}, {"spec", "template", "metadata", "labels"}} {
		if err := unstructured.SetNestedField(u.Object, TrackPrevious, append(path, TrackLabel)...); err != nil {
			return manifest.Object{}, fmt.Errorf("%s: %w", stable.Ref(), err)
		}
	}
	return manifest.Object{Obj: u, Source: stable.Source}, nil
}

// OnTrack returns objs with each Service that selects the pods of the
// Deployment d (its template's labels, the track aside) narrowed to one
// track, so only that track's pods serve; the refs of those Services.
func OnTrack(objs []manifest.Object, d manifest.Object, track string) ([]manifest.Object, []manifest.Ref, error) {
	tmpl := stringMap(d.Obj, "spec", "template", "metadata", "labels")
	out := make([]manifest.Object, 0, len(objs))
	var refs []manifest.Ref
	for _, o := range objs {
		gvk := o.GVK()
		sel := stringMap(o.Obj, "spec", "selector")
		if gvk.Group != "" || gvk.Kind != "Service" || len(sel) == 0 || !selectsIgnoringTrack(sel, tmpl) {
			out = append(out, o)
			continue
		}
		u := o.Obj.DeepCopy()
		if err := unstructured.SetNestedField(u.Object, track, "spec", "selector", TrackLabel); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", o.Ref(), err)
		}
		out = append(out, manifest.Object{Obj: u, Source: o.Source})
		refs = append(refs, o.Ref())
	}
	return out, refs, nil
}

// kept is the previous Deployment a promotion left running until
// Stabilize is over, and what Settle and Revert need.
type kept struct {
	c        *run
	previous manifest.Object
	services []manifest.Ref
	// ready is when its pods were Available.
	ready time.Time
}

// keepPrevious runs the previous revision's template as the previous
// Deployment, out of traffic (the Services narrowed to the stable track),
// and removes the canary, once stable runs the new template. When the
// previous pods cannot be kept the release goes on without them (it says
// so): they are a faster way back, not a condition of the release.
func (c *run) keepPrevious(ctx context.Context) error {
	prev, err := PreviousObject(c.stable, c.stableReplicas)
	if err != nil {
		return err
	}
	objs, svcs, err := OnTrack(c.r.Objects, c.next, TrackStable)
	if err != nil {
		return err
	}
	t := c.r.Target
	t.Objects = append(objs, prev)
	t.Live = manifest.Union(c.r.Live, []manifest.Object{*c.canary})
	if err := c.r.WriteReady(ctx, t); err != nil {
		c.s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: could not keep the previous pods in %s (%v): going on without an instant way back", prev.Ref(), err))
		t = c.r.Target
		t.Live = manifest.Union(c.r.Live, []manifest.Object{*c.canary, prev})
		return c.r.WriteReady(ctx, t)
	}
	c.s.kept = &kept{c: c, previous: prev, services: svcs, ready: c.s.Env.Now()}
	c.s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: %s keeps %d pods of the previous template out of traffic (%s select only %s: %s) until Stabilize is over: a failure switches back to them at once",
		prev.Ref(), c.stableReplicas, refList(svcs), TrackLabel, TrackStable))
	return nil
}

// Settle removes the previous Deployment once Verify and Stabilize passed,
// waiting until its pods are gone, then writes the Services as the release
// has them (release.Settler).
func (s *Strategy) Settle(ctx context.Context, r rollout.Run) error {
	k := s.kept
	if k == nil {
		return nil
	}
	s.kept = nil
	objs, _, err := OnTrack(r.Objects, k.c.next, TrackStable)
	if err != nil {
		return err
	}
	t := r.Target
	t.Objects, t.Live = objs, manifest.Union(r.Live, []manifest.Object{k.previous})
	if _, err := r.Writer.Write(ctx, t); err != nil {
		return fmt.Errorf("canary: Stabilize passed but removing %s failed: %w; delete it by hand (kubectl -n %s delete deployment %s)",
			k.previous.Ref(), err, k.previous.Obj.GetNamespace(), k.previous.Obj.GetName())
	}
	if err := s.podsGone(ctx, k.previous); err != nil {
		return fmt.Errorf("canary: Stabilize passed, %s removed: %w", k.previous.Ref(), err)
	}
	if _, err := r.Writer.Write(ctx, r.Target); err != nil {
		return fmt.Errorf("canary: Stabilize passed, %s removed, but writing %s back as the release has them failed: %w", k.previous.Ref(), refList(k.services), err)
	}
	s.Env.Decide(event.StageStabilize, fmt.Sprintf("canary: Stabilize passed: %s removed, %s select as the release has them", k.previous.Ref(), refList(k.services)))
	return nil
}

// Revert goes back to the previous pods at once after a failure in Verify
// or Stabilize (release.Settler): the Services select only the previous
// track (no pod has to start), then stable gets the previous template and,
// once it is Available, the Services select as before and the previous
// Deployment is removed. The rollback stage then restores and verifies the
// rest of the previous revision.
func (s *Strategy) Revert(ctx context.Context, r rollout.Run, why string) error {
	k := s.kept
	if k == nil {
		return nil
	}
	s.kept = nil
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	start := s.Env.Now()
	onPrev, _, err := OnTrack(r.Objects, k.c.next, TrackPrevious)
	if err != nil {
		return err
	}
	t := r.Target
	t.Objects = append(onPrev, k.previous)
	if _, err := r.Writer.Write(ctx, t); err != nil {
		return fmt.Errorf("canary: switching %s to the previous pods FAILED: %w; the rollback restores the previous revision", refList(k.services), err)
	}
	pods, _ := s.podNames(ctx, k.previous)
	s.emitRevert(Revert{Previous: k.previous.Ref().String(), Services: refStrings(k.services), Pods: pods, PodsReady: k.ready,
		Failed: start, Switched: s.Env.Now(), Reason: why},
		fmt.Sprintf("canary: switched back: %s select only %s (%d pods of the previous template, Available since the promotion), %s after the failure (%s)",
			refList(k.services), k.previous.Ref(), len(pods), s.Env.Now().Sub(start).Round(time.Millisecond), why))
	t.Objects = append(manifest.Replace(onPrev, k.c.next.Ref(), k.c.stable), k.previous)
	if err := r.WriteReady(ctx, t); err != nil {
		return fmt.Errorf("canary: %s back to the previous template: %w; %s still serve the previous pods", k.c.next.Ref(), err, refList(k.services))
	}
	s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: %s runs the previous template again (Available): %s select as before, %s is removed",
		k.c.next.Ref(), refList(k.services), k.previous.Ref()))
	t.Objects = manifest.Replace(r.Objects, k.c.next.Ref(), k.c.stable)
	t.Live = manifest.Union(r.Live, []manifest.Object{k.previous})
	if _, err := r.Writer.Write(ctx, t); err != nil {
		return fmt.Errorf("canary: removing %s after the switch back: %w", k.previous.Ref(), err)
	}
	s.Env.Decide(event.StageRollout, fmt.Sprintf("canary: %s removed; the rollback restores and verifies the rest of the previous revision", k.previous.Ref()))
	return nil
}

// Revert is the switch back to the previous pods after a failure in
// Verify or Stabilize (the payload of event.TypeCanary): the Services
// switched, the pods they select and since when those were Available,
// when the failure was handed over and when the Services were written.
type Revert struct {
	Previous  string    `json:"previous"`
	Services  []string  `json:"services"`
	Pods      []string  `json:"pods"`
	PodsReady time.Time `json:"podsReady"`
	Failed    time.Time `json:"failed"`
	Switched  time.Time `json:"switched"`
	Reason    string    `json:"reason"`
}

// EventType is event.TypeCanary.
func (Revert) EventType() event.Type { return event.TypeCanary }

func (s *Strategy) emitRevert(rv Revert, msg string) {
	if s.Env.Sink != nil {
		s.Env.Sink.Emit(event.Event{Time: s.Env.Now(), Stage: event.StageRollout, Type: event.TypeCanary, Object: rv.Previous, Message: msg, Data: rv})
	}
}

// podNames names the pods of Deployment d.
func (s *Strategy) podNames(ctx context.Context, d manifest.Object) ([]string, error) {
	if s.Env.Clients == nil {
		return nil, nil
	}
	sel := labels.SelectorFromSet(stringMap(d.Obj, "spec", "selector", "matchLabels")).String()
	list, err := s.Env.Clients.Typed.CoreV1().Pods(d.Obj.GetNamespace()).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Name)
	}
	return out, nil
}

// podsGone waits until Deployment d has no pod left (at most a minute).
func (s *Strategy) podsGone(ctx context.Context, d manifest.Object) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		names, err := s.podNames(ctx, d)
		if err == nil && len(names) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pods of %s still there: %v", d.Ref(), context.Cause(ctx))
		case <-tick.C:
		}
	}
}

func refStrings(refs []manifest.Ref) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.String())
	}
	return out
}

func refList(refs []manifest.Ref) string {
	if len(refs) == 0 {
		return "no Service"
	}
	s := ""
	for i, r := range refs {
		if i > 0 {
			s += ", "
		}
		s += r.String()
	}
	return s
}
