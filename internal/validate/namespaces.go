package validate

import (
	"fmt"
	"sort"
	"strings"
)

// systemNamespaces hold the cluster's own objects: a release writes there
// only when its file names them in spec.allowNamespaces, even when it
// lives there itself.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

// checkNamespaces refuses objects in a namespace the release does not own:
// a system namespace, or one other than spec.namespace that the bundle
// does not create, unless spec.allowNamespaces names it. Each finding
// gives the exact line to write (every namespace the bundle needs).
func (r *run) checkNamespaces() {
	rel := r.in.Release
	if rel == nil {
		return
	}
	allowed := map[string]bool{}
	for _, ns := range rel.Spec.AllowNamespaces {
		allowed[ns] = true
	}
	created := map[string]bool{}
	for _, o := range r.objs {
		if o.gvk.Group == "" && o.gvk.Kind == "Namespace" {
			created[o.ref.Name] = true
		}
	}
	owned := func(ns string) bool {
		switch {
		case allowed[ns]:
			return true
		case systemNamespaces[ns]:
			return false
		}
		return ns == rel.Spec.Namespace || created[ns]
	}
	var bad []*object
	need := map[string]bool{}
	for i := range r.objs {
		o := &r.objs[i]
		if o.ns != "" && !owned(o.ns) {
			bad = append(bad, o)
			need[o.ns] = true
		}
	}
	if len(bad) == 0 {
		return
	}
	for ns := range allowed {
		need[ns] = true
	}
	list := make([]string, 0, len(need))
	for ns := range need {
		list = append(list, ns)
	}
	sort.Strings(list)
	fix := "spec.allowNamespaces: [" + strings.Join(list, ", ") + "]"
	r.evidence = fmt.Sprintf("the objects' namespaces against spec.namespace %s, the bundle's Namespace objects and spec.allowNamespaces", rel.Spec.Namespace)
	defer func() { r.evidence = "" }()
	for _, o := range bad {
		why := fmt.Sprintf("not the release's namespace %s and not created by the bundle", rel.Spec.Namespace)
		if systemNamespaces[o.ns] {
			why = "a system namespace"
		}
		r.fail(IDGuardrail, o, keys("metadata", "namespace"), "in namespace %s (%s), which the release file does not allow: if the release may write there, add to the release file %s; otherwise move the object to %s",
			o.ns, why, fix, rel.Spec.Namespace)
	}
}
