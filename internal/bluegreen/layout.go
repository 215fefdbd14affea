package bluegreen

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// Mode is how a blue-green revision replaces what runs.
type Mode string

// The modes.
const (
	// ModeFirst: nothing runs yet; the first color and both Services are
	// written at once.
	ModeFirst Mode = "first"
	// ModeSame: the pod template did not change; the live color is
	// written again, no switch.
	ModeSame Mode = "same"
	// ModeSwitch: the new color runs beside the live one, is checked
	// through the preview, and the active Service switches to it.
	ModeSwitch Mode = "switch"
	// ModeMigrate: the workload was rolling (a Deployment without
	// colors, whose selector is immutable): the active Service first
	// selects its pods by their pod-template-hash, then the switch runs
	// as for ModeSwitch and the rolling Deployment is removed at the end.
	ModeMigrate Mode = "migrate"
)

// Input is what Compute derives a blue-green revision from.
type Input struct {
	// Objects are the rendered objects of the new revision.
	Objects []manifest.Object
	// Previous are the objects the release's history says may be live.
	Previous []manifest.Object
	Config   *config.BlueGreen
	// Smoke are the release's smoke checks (those that reach the active
	// Service by name are aimed at the preview).
	Smoke []config.SmokeCheck
	// LiveColor is the color the live active Service selects, when the
	// cluster was read ("" otherwise: Previous says).
	LiveColor string
	// MigrationHash is the pod-template-hash of the rolling Deployment's
	// current ReplicaSet, when the cluster was read.
	MigrationHash string
	// LiveReplicas is the live color's replica count, when the cluster
	// was read (the plan names it when an autoscaler scales the colors).
	LiveReplicas int
}

// Layout is a blue-green revision: the objects kship writes (what the
// revision records, what the plan diffs and every check sees) and how it
// gets there.
type Layout struct {
	Objects []manifest.Object
	Mode    Mode
	// Name is the bundle's Deployment; Color the new color, OldColor the
	// live one ("" in ModeFirst and ModeMigrate).
	Name, Color, OldColor string
	// Deployment is the new color Deployment; Old the one it replaces (the
	// old color, or the rolling Deployment in ModeMigrate).
	Deployment, Old manifest.Ref
	Active, Preview manifest.Ref
	Replicas        int
	ActiveSelector  map[string]string
	// PreviewSmoke are the smoke checks aimed at the preview before the
	// switch; SmokeAfterSwitch the names of those that are not (they run
	// in Verify, after the switch).
	PreviewSmoke     []config.SmokeCheck
	SmokeAfterSwitch []string
	// Autoscalers are the release's HorizontalPodAutoscalers of the
	// Deployment, retargeted at the new color in Objects (whose replicas
	// they own: the color Deployment has none).
	Autoscalers []rollout.Autoscaler

	migrationHash string
	liveReplicas  int
}

// Compute derives the blue-green revision from the rendered objects, or
// returns what blocks it, each with its fix.
func Compute(in Input) (*Layout, []rollout.Finding) {
	bg := in.Config
	if bg == nil {
		bg = &config.BlueGreen{}
	}
	d, fs := theDeployment(in.Objects)
	if len(fs) > 0 {
		return nil, fs
	}
	active, fs := activeService(in.Objects, d, bg.ActiveService)
	if len(fs) > 0 {
		return nil, fs
	}
	preview := bg.PreviewService
	if preview == "" {
		preview = active.Obj.GetName() + "-preview"
	}
	l := &Layout{Name: d.Obj.GetName(), Active: active.Ref(), Replicas: replicasOf(d)}
	l.Preview = manifest.Ref{Kind: "Service", Namespace: active.Obj.GetNamespace(), Name: preview}
	for _, o := range in.Objects {
		if o.Ref() == l.Preview {
			return nil, []rollout.Finding{{Object: o.Ref(), Source: o.Source, Message: fmt.Sprintf("kship writes the preview Service %s itself (the active Service's ports, selecting the new color): remove it from the bundle, or name another in spec.strategy.blueGreen.previewService", preview)}}
		}
	}
	old, oldColor := previousColor(in, l.Name, d.Obj.GetNamespace())
	switch {
	case oldColor != "" && sameTemplate(old, d):
		l.Mode, l.Color, l.OldColor = ModeSame, oldColor, oldColor
	case oldColor != "":
		l.Mode, l.Color, l.OldColor = ModeSwitch, Other(oldColor), oldColor
	case old.Obj != nil:
		l.Mode, l.Color = ModeMigrate, Blue
	default:
		l.Mode, l.Color = ModeFirst, Blue
	}
	if old.Obj != nil {
		l.Old = old.Ref()
	}
	l.migrationHash, l.liveReplicas = in.MigrationHash, in.LiveReplicas
	colored, err := ColorObject(d, l.Color)
	if err != nil {
		return nil, []rollout.Finding{{Object: d.Ref(), Source: d.Source, Message: err.Error()}}
	}
	l.Deployment = colored.Ref()
	sel := with(stringMap(active.Obj, "spec", "selector"), ColorLabel, l.Color)
	l.ActiveSelector = sel
	objs := manifest.Replace(in.Objects, d.Ref(), colored)
	objs = manifest.Replace(objs, active.Ref(), WithSelector(active, sel, ActiveOfAnnotation, l.Name), PreviewObject(active, preview, l.Name, sel))
	l.Objects, l.Autoscalers = autoscale(objs, l.Name, colored)
	l.PreviewSmoke, l.SmokeAfterSwitch = Aim(in.Smoke, active.Obj.GetName(), preview)
	return l, nil
}

// theDeployment is the bundle's one Deployment, which must not carry the
// color label kship sets.
func theDeployment(objs []manifest.Object) (manifest.Object, []rollout.Finding) {
	d, fs := rollout.OneDeployment(objs, "a blue-green release has exactly one Deployment (the one that gets colors)")
	if len(fs) > 0 {
		return d, fs
	}
	for _, path := range [][]string{{"spec", "selector", "matchLabels"}, {"spec", "template", "metadata", "labels"}} {
		if _, ok := stringMap(d.Obj, path...)[ColorLabel]; ok {
			return d, []rollout.Finding{{Object: d.Ref(), Source: d.Source, Message: fmt.Sprintf("kship sets %s on each color itself: remove it from %s of %s (%s)", ColorLabel, strings.Join(path, "."), d.Ref(), d.Source)}}
		}
	}
	if len(stringMap(d.Obj, "spec", "template", "metadata", "labels")) == 0 {
		return d, []rollout.Finding{{Object: d.Ref(), Source: d.Source, Message: fmt.Sprintf("%s has no pod labels: the active Service must select its pods by labels (%s)", d.Ref(), d.Source)}}
	}
	return d, nil
}

// activeService is the Service live traffic goes through: the one named,
// or the bundle's one Service that selects the Deployment's pods.
func activeService(objs []manifest.Object, d manifest.Object, name string) (manifest.Object, []rollout.Finding) {
	labels := stringMap(d.Obj, "spec", "template", "metadata", "labels")
	var found []manifest.Object
	for _, o := range objs {
		if !isService(o) {
			continue
		}
		if name != "" && o.Obj.GetName() == name {
			if !selects(stringMap(o.Obj, "spec", "selector"), labels) {
				return o, []rollout.Finding{{Object: o.Ref(), Source: o.Source, Message: fmt.Sprintf("spec.strategy.blueGreen.activeService %s does not select the pods of %s: its spec.selector must match their labels (%s)", name, d.Ref(), o.Source)}}
			}
			return o, nil
		}
		if name == "" && selects(stringMap(o.Obj, "spec", "selector"), labels) {
			found = append(found, o)
		}
	}
	switch {
	case name != "":
		return manifest.Object{}, []rollout.Finding{{Message: fmt.Sprintf("spec.strategy.blueGreen.activeService %s is not a Service of the release: add it to the bundle (kship switches its selector)", name)}}
	case len(found) == 0:
		return manifest.Object{}, []rollout.Finding{{Object: d.Ref(), Source: d.Source, Message: fmt.Sprintf("no Service of the release selects the pods of %s: a blue-green release switches the selector of the Service live traffic goes through; add it to the bundle", d.Ref())}}
	case len(found) > 1:
		var names []string
		for _, s := range found {
			names = append(names, s.Obj.GetName())
		}
		return manifest.Object{}, []rollout.Finding{{Object: found[0].Ref(), Source: found[0].Source, Message: fmt.Sprintf("several Services select the pods of %s (%s): name the one live traffic goes through in spec.strategy.blueGreen.activeService", d.Ref(), strings.Join(names, ", "))}}
	}
	return found[0], nil
}

// previousColor finds what runs the workload now: the live color's
// Deployment and its color, or the rolling Deployment (color "") the
// first blue-green release migrates, or nothing.
func previousColor(in Input, name, ns string) (manifest.Object, string) {
	colors := map[string]manifest.Object{}
	var rolling manifest.Object
	for _, o := range in.Previous {
		if !rollout.IsDeployment(o) || o.Obj.GetNamespace() != ns {
			continue
		}
		switch {
		case o.Obj.GetAnnotations()[ColorOfAnnotation] == name && colorOf(o) != "":
			colors[colorOf(o)] = o
		case o.Obj.GetName() == name:
			rolling = o
		}
	}
	want := in.LiveColor
	if want == "" {
		for _, o := range in.Previous {
			if isService(o) && o.Obj.GetAnnotations()[ActiveOfAnnotation] == name {
				want = stringMap(o.Obj, "spec", "selector")[ColorLabel]
			}
		}
	}
	if o, ok := colors[want]; ok {
		return o, want
	}
	if len(colors) == 1 {
		for c, o := range colors {
			return o, c
		}
	}
	return rolling, ""
}
