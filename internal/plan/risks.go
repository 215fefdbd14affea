package plan

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
)

// observed is everything the plan learnt about one object.
type observed struct {
	obj    manifest.Object
	live   *unstructured.Unstructured // nil when absent
	result *unstructured.Unstructured // dry-run result, nil when none
	change Change
	// immutable are the field paths the server refused to change in place.
	immutable []string
}

// risksOf returns the risks of one planned change.
func risksOf(o observed) []Risk {
	c := o.change
	var out []Risk
	switch c.Action {
	case ActionPrune:
		return pruneRisks(c, o.live)
	case ActionUnchanged:
		return nil
	}
	kind := c.Ref.Kind
	if c.Action == ActionUpdate && kind == "PersistentVolumeClaim" && c.Ref.Group == "" {
		out = append(out, Risk{Object: c.Ref, Kind: RiskPVC,
			Message: "PersistentVolumeClaim changes: only spec.resources.requests can change in place, and storage can only grow",
			Advice:  "growing needs a StorageClass with allowVolumeExpansion; for anything else create a new claim and migrate the data"})
	}
	if c.Action == ActionUpdate && kind == "CustomResourceDefinition" {
		out = append(out, Risk{Object: c.Ref, Kind: RiskCRD,
			Message: "CustomResourceDefinition changes affect every custom resource of this kind in every namespace; stored objects are not rewritten",
			Advice:  "check that existing custom resources are valid under the new schema and that no served or storage version is removed"})
	}
	desired := o.result
	if desired == nil {
		desired = o.obj.Obj
	}
	out = append(out, scaleRisks(c, o.live, desired)...)
	out = append(out, imageRisks(c, desired)...)
	out = append(out, immutableRisks(c, o.immutable)...)
	return out
}

func pruneRisks(c Change, live *unstructured.Unstructured) []Risk {
	r := Risk{Object: c.Ref, Kind: RiskDelete,
		Message: "deleted: the previous revision had it and this one does not",
		Advice:  "if this is not intended, add the object back to the release's sources"}
	switch {
	case c.Ref.Kind == "PersistentVolumeClaim" && c.Ref.Group == "":
		r.Message += "; its volume is deleted or released according to the StorageClass reclaim policy"
	case c.Ref.Kind == "CustomResourceDefinition":
		r.Message += "; every custom resource of this kind, in every namespace, is deleted with it"
	case c.Ref.Kind == "Namespace" && c.Ref.Group == "":
		r.Message += "; everything in the namespace is deleted with it"
	}
	if live == nil {
		r.Message += " (already absent from the cluster)"
	}
	return []Risk{r}
}

// scaleRisks flags workloads whose replicas go to zero.
func scaleRisks(c Change, live, desired *unstructured.Unstructured) []Risk {
	n, found, _ := unstructured.NestedFieldNoCopy(desired.Object, "spec", "replicas")
	if !found || !isZero(n) {
		return nil
	}
	was := "a new object"
	if live != nil {
		if lv, ok, _ := unstructured.NestedFieldNoCopy(live.Object, "spec", "replicas"); ok {
			if isZero(lv) {
				return nil
			}
			was = fmt.Sprintf("was %v", lv)
		}
	}
	return []Risk{{Object: c.Ref, Kind: RiskScaleToZero,
		Message: fmt.Sprintf("0 replicas (%s): it serves nothing after the release", was),
		Advice:  "set spec.replicas to the capacity the service needs, or remove the object if it is retired"}}
}

func isZero(v any) bool {
	switch n := v.(type) {
	case int64:
		return n == 0
	case float64:
		return n == 0
	case int:
		return n == 0
	}
	return false
}

// imageRisks flags containers whose image is :latest or has no tag.
func imageRisks(c Change, desired *unstructured.Unstructured) []Risk {
	var out []Risk
	for _, ct := range PodContainers(desired) {
		img, _ := ct["image"].(string)
		name, _ := ct["name"].(string)
		if img == "" || !MutableImage(img) {
			continue
		}
		out = append(out, Risk{Object: c.Ref, Kind: RiskMutableImage,
			Message: fmt.Sprintf("container %q uses image %q: a mutable tag, so a restart can run different code and a rollback may not restore the old version", name, img),
			Advice:  "pin the image to a version tag or a digest (image@sha256:...)"})
	}
	return out
}

// MutableImage reports whether an image reference is :latest or untagged
// (and not pinned by digest).
func MutableImage(img string) bool {
	if strings.Contains(img, "@") {
		return false
	}
	last := img[strings.LastIndex(img, "/")+1:]
	i := strings.LastIndex(last, ":")
	return i < 0 || last[i+1:] == "latest"
}

// podTemplatePaths are where pod specs live in the built-in workload kinds.
var podTemplatePaths = map[string][]string{
	"Pod":         {"spec"},
	"Deployment":  {"spec", "template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

// PodContainers returns the init and app containers of a workload's pod
// template (nil for other kinds).
func PodContainers(u *unstructured.Unstructured) []map[string]any {
	path, ok := podTemplatePaths[u.GetKind()]
	if !ok {
		return nil
	}
	spec, found, _ := unstructured.NestedMap(u.Object, path...)
	if !found {
		return nil
	}
	var out []map[string]any
	for _, f := range []string{"initContainers", "containers"} {
		l, _ := spec[f].([]any)
		for _, e := range l {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

func immutableRisks(c Change, paths []string) []Risk {
	var out []Risk
	for _, p := range paths {
		out = append(out, Risk{Object: c.Ref, Kind: RiskImmutable,
			Message: fmt.Sprintf("%s cannot be changed in place (the API server refuses it)", p),
			Advice:  ImmutableAdvice(c.Ref, p)})
	}
	return out
}
