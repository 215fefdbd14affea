// Package bluegreen is the blue-green strategy (spec.strategy.type
// BlueGreen), without a controller in the cluster: the bundle's Deployment
// runs as one of two colors (<name>-blue, <name>-green, their selectors
// kept apart by kship.dev/color), the active Service selects the live
// color, and a preview Service kship adds selects only the new one. A
// release creates the new color beside the live one, checks it through the
// preview (smoke checks aimed at Host <preview>.<namespace>, gates on its
// pods), switches the active Service's selector, keeps the old color for
// spec.strategy.blueGreen.scaleDownDelay while the post-switch gates run
// (a failure switches back at once, and the rollback removes the new
// color), then removes the old color; Verify and Stabilize follow as for
// any release. The revision records the objects as they are at the end
// (the new color, both Services selecting it), so a rollback restores the
// previous revision's color and selectors exactly.
//
// It imports config, event, gate, manifest, rollout and smoke: the release
// file, the stream it reports the switches in, the gates it analyses with,
// objects, the seam it implements, and the smoke checks it aims at the
// preview.
package bluegreen

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// Strategy is the blue-green strategy of one run.
type Strategy struct {
	Env rollout.Env
	// Querier runs the analyses' queries; nil means the release file's
	// Prometheus.
	Querier gate.Querier
}

// New returns the blue-green strategy of a run.
func New(env rollout.Env) *Strategy { return &Strategy{Env: env} }

// Rollout writes the new color beside the live one, checks it through the
// preview, switches the active Service, holds the old color while the
// post-switch gates run, and removes it; an error is a rollback trigger
// (the active Service selects the old color again by then).
func (s *Strategy) Rollout(ctx context.Context, r rollout.Run) error {
	b, err := s.newRun(ctx, r)
	if err != nil {
		return err
	}
	switch b.mode {
	case ModeFirst, ModeSame:
		s.Env.Decide(event.StageRollout, fmt.Sprintf("blue-green: %s: %s and the Services written at once, no switch", b.modeWords(), b.newD.Ref()))
		if err := b.handOver(ctx); err != nil {
			return err
		}
		return r.WriteReady(ctx, r.Target)
	}
	if err := b.prepare(); err != nil {
		return err
	}
	if b.mode == ModeMigrate {
		if err := b.migrate(ctx); err != nil {
			return err
		}
	}
	if err := b.checkPreview(ctx); err != nil {
		return fmt.Errorf("blue-green: preview of %s failed, %s was never switched: %w", b.newD.Ref(), b.active.Ref(), err)
	}
	if !b.bg.Promotes() {
		return b.pauseHere()
	}
	return b.promote(ctx)
}

// promote switches the active Service to the new color, holds the old
// one while the post-switch gates run (a failure switches back) and
// removes it.
func (b *run) promote(ctx context.Context) error {
	if err := b.switchTo(ctx); err != nil {
		return err
	}
	if err := b.hold(ctx); err != nil {
		return b.switchBack(ctx, err)
	}
	return b.removeOld(ctx)
}

// bgOrDefault is the release's blue-green settings, or the defaults for a
// release file loaded without them.
func bgOrDefault(bg *config.BlueGreen) *config.BlueGreen {
	if bg == nil {
		return &config.BlueGreen{ScaleDownDelay: config.Duration{Duration: config.DefaultScaleDownDelay}}
	}
	return bg
}

func (b *run) modeWords() string {
	if b.mode == ModeFirst {
		return "first release (nothing runs yet)"
	}
	return "the pod template is unchanged (the live color is written again)"
}

// run is one blue-green rollout.
type run struct {
	s    *Strategy
	r    rollout.Run
	bg   *config.BlueGreen
	mode Mode
	name string
	// newD is the new color; oldD what it replaces (the old color, or the
	// rolling Deployment) as the previous revision wrote it.
	newD, oldD manifest.Object
	// active is the active Service as the new revision writes it (the
	// new color's selector); oldSelector what it selects before the
	// switch and after a switch back.
	active, preview manifest.Object
	oldSelector     map[string]string
	newColor        string
	oldColor        string
	q               gate.Querier
	// hash is the new color's pod-template-hash; scrape how often its
	// pods are scraped; ready when it was Available behind the preview.
	hash   string
	scrape time.Duration
	ready  time.Time
	// switched is when the active Service switched; failed when the
	// post-switch check that switches it back failed.
	switched, failed time.Time
	// autoscalers scale the new color in the revision's objects;
	// oldReplicas is the old color's live count, the new color's until
	// the switch.
	autoscalers []rollout.Autoscaler
	oldReplicas int
}

// newRun finds the colors in the revision's objects and what the
// previous revision left live.
func (s *Strategy) newRun(ctx context.Context, r rollout.Run) (*run, error) {
	b := &run{s: s, r: r, bg: bgOrDefault(r.Release.Spec.Strategy.BlueGreen)}
	for _, o := range r.Objects {
		ann := o.Obj.GetAnnotations()
		switch {
		case rollout.IsDeployment(o) && ann[ColorOfAnnotation] != "":
			b.newD, b.name, b.newColor = o, ann[ColorOfAnnotation], colorOf(o)
		case isService(o) && ann[ActiveOfAnnotation] != "":
			b.active = o
		case isService(o) && ann[PreviewOfAnnotation] != "":
			b.preview = o
		}
	}
	if b.newD.Obj == nil || b.active.Obj == nil || b.preview.Obj == nil {
		return nil, fmt.Errorf("blue-green: the revision has no color Deployment, active and preview Service (was it prepared by kship check?)")
	}
	ns := b.newD.Obj.GetNamespace()
	prevActive, hadActive := manifest.Find(r.Live, b.active.Ref())
	for _, o := range r.Live {
		switch {
		case !rollout.IsDeployment(o) || o.Obj.GetNamespace() != ns:
		case o.Obj.GetAnnotations()[ColorOfAnnotation] == b.name && colorOf(o) != b.newColor && colorOf(o) != "":
			b.oldD, b.oldColor = o, colorOf(o)
		case o.Obj.GetName() == b.name && b.oldD.Obj == nil:
			b.oldD = o
		}
	}
	_, liveSame := manifest.Find(r.Live, b.newD.Ref())
	switch {
	case b.oldColor != "" && hadActive && stringMap(prevActive.Obj, "spec", "selector")[ColorLabel] == b.oldColor:
		b.mode, b.oldSelector = ModeSwitch, stringMap(prevActive.Obj, "spec", "selector")
	case liveSame && hadActive && stringMap(prevActive.Obj, "spec", "selector")[ColorLabel] == b.newColor:
		b.mode = ModeSame
	case b.oldD.Obj != nil && b.oldColor == "" && hadActive:
		b.mode = ModeMigrate
		hash, err := s.currentHash(ctx, b.oldD)
		if err != nil {
			return nil, err
		}
		b.oldSelector = with(stringMap(prevActive.Obj, "spec", "selector"), HashLabel, hash)
	default:
		b.mode = ModeFirst
	}
	b.autoscalers = rollout.AutoscalersOf(r.Objects, b.newD.Obj.GetName())
	if len(b.autoscalers) > 0 && b.oldD.Obj != nil {
		b.oldReplicas = s.liveReplicas(ctx, b.oldD)
		if len(rollout.AutoscalersOf(r.Live, b.oldD.Obj.GetName())) > 0 {
			b.oldD = rollout.WithoutReplicas(b.oldD)
		}
	}
	return b, nil
}

// currentHash is the pod-template-hash of the rolling Deployment's one
// ReplicaSet with pods; a Deployment mid-rollout (several) is refused.
func (s *Strategy) currentHash(ctx context.Context, d manifest.Object) (string, error) {
	if s.Env.Clients == nil {
		return "", fmt.Errorf("blue-green: migrating %s needs the cluster", d.Ref())
	}
	pods, err := rollout.RevisionPods(ctx, s.Env.Clients.Typed, d.Obj.GetNamespace(), []manifest.Object{d})
	if err != nil {
		return "", fmt.Errorf("blue-green: migrate %s: %w", d.Ref(), err)
	}
	if len(pods.Hashes) != 1 {
		return "", fmt.Errorf("blue-green: migrate %s: it has no current ReplicaSet; deploy it with RollingUpdate until it is Available, then switch to BlueGreen", d.Ref())
	}
	apps := s.Env.Clients.Typed.AppsV1()
	rss, err := apps.ReplicaSets(d.Obj.GetNamespace()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("blue-green: migrate %s: list its ReplicaSets: %w", d.Ref(), err)
	}
	for _, rs := range rss.Items {
		if rs.Labels[HashLabel] != pods.Hashes[0] && rs.Status.Replicas > 0 && ownedBy(rs.OwnerReferences, d.Obj.GetName()) {
			return "", fmt.Errorf("blue-green: migrate %s: it is mid-rollout (ReplicaSet %s still has pods); wait until its rollout is done, then deploy again", d.Ref(), rs.Name)
		}
	}
	return pods.Hashes[0], nil
}

func ownedBy(refs []metav1.OwnerReference, name string) bool {
	for _, r := range refs {
		if r.Kind == "Deployment" && r.Name == name {
			return true
		}
	}
	return false
}

func (b *run) prepare() error {
	b.q = b.s.Querier
	if b.q != nil || (b.bg.PreSwitch == nil && b.bg.PostSwitch == nil) {
		return nil
	}
	m := b.r.Release.Spec.Verify.Metrics
	if m == nil {
		return nil
	}
	q, err := gate.NewPrometheus(m.Prometheus.Address)
	if err != nil {
		return fmt.Errorf("blue-green: %w", err)
	}
	b.q = q
	return nil
}

// step writes t's objects with the active Service selecting sel and the
// old Deployment kept, removing what Live has and they lack.
func (b *run) target(sel map[string]string, objs []manifest.Object) rollout.Target {
	t := b.r.Target
	objs = b.autoscaledObjects(sel, objs)
	t.Objects = manifest.Replace(objs, b.active.Ref(), WithSelector(b.active, sel, ActiveOfAnnotation, b.name))
	t.Objects = append(t.Objects, b.oldD)
	t.Live = manifest.Union(b.r.Live, []manifest.Object{b.oldD})
	return t
}

// migrate narrows the active Service to the rolling Deployment's pods by
// their pod-template-hash (the same pods), so the new color's pods, which
// carry the Service's labels too, get no live traffic.
func (b *run) migrate(ctx context.Context) error {
	t := b.target(b.oldSelector, without(b.r.Objects, b.newD.Ref(), b.preview.Ref()))
	if _, err := b.r.Writer.Write(ctx, t); err != nil {
		return fmt.Errorf("blue-green: migrate: %w", err)
	}
	b.s.Env.Decide(event.StageRollout, fmt.Sprintf("blue-green: migrating from RollingUpdate: %s now selects %s: %s (the pods of %s it selected before), so the new color gets no live traffic",
		b.active.Ref(), HashLabel, b.oldSelector[HashLabel], b.oldD.Ref()))
	return nil
}

func without(objs []manifest.Object, refs ...manifest.Ref) []manifest.Object {
	for _, r := range refs {
		objs = manifest.Replace(objs, r)
	}
	return objs
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
