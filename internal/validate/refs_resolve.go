package validate

import (
	"context"
	"fmt"
	"strings"
)

// bundleIndex is what the bundle itself provides to references: objects
// by kind, namespace and name, with their data keys.
type bundleIndex map[refKey]map[string]bool

type refKey struct{ kind, ns, name string }

// indexBundle collects the Secrets, ConfigMaps, ServiceAccounts and PVCs
// of the bundle.
func (r *run) indexBundle() bundleIndex {
	idx := bundleIndex{}
	for i := range r.objs {
		o := &r.objs[i]
		if o.ref.Group != "" {
			continue
		}
		obj := o.Obj.Object
		switch o.ref.Kind {
		case kindSecret:
			idx[refKey{o.ref.Kind, o.ns, o.ref.Name}] = objectKeys(obj, "data", "stringData")
		case kindConfigMap:
			idx[refKey{o.ref.Kind, o.ns, o.ref.Name}] = objectKeys(obj, "data", "binaryData")
		case kindServiceAccount, kindPVC:
			idx[refKey{o.ref.Kind, o.ns, o.ref.Name}] = nil
		}
	}
	return idx
}

func objectKeys(obj map[string]any, fields ...string) map[string]bool {
	out := map[string]bool{}
	for _, f := range fields {
		m, _ := obj[f].(map[string]any)
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// checkReferences resolves every reference of every pod template against
// the bundle, then the live namespace.
func (r *run) checkReferences(ctx context.Context) {
	start := len(r.report.Checks)
	idx := r.indexBundle()
	templates, count := 0, 0
	for i := range r.objs {
		o := &r.objs[i]
		path := podSpecPath(o.ref.Group, o.ref.Kind)
		spec := nested(o.Obj.Object, path)
		if path == nil || spec == nil || o.removed {
			continue
		}
		templates++
		for _, ref := range podRefs(spec, path) {
			count++
			r.resolve(ctx, o, idx, ref)
		}
	}
	where := "the bundle and the live namespaces"
	if r.cluster == nil {
		where = "the bundle (offline: the cluster was not consulted)"
	}
	r.evidence = ""
	r.summarize(IDReference, start, "%s of %s resolved against %s",
		plural(count, "reference"), plural(templates, "pod template"), where)
}

// resolve checks one reference and reports it when it does not resolve.
func (r *run) resolve(ctx context.Context, o *object, idx bundleIndex, ref podRef) {
	if ref.name == "" {
		r.fail(IDReference, o, ref.path, "%s: %s reference without a name", ref.where, ref.kind)
		return
	}
	keys, found := idx[refKey{ref.kind, o.ns, ref.name}]
	source := "in the bundle"
	r.evidence = ""
	if !found && r.cluster != nil {
		var err error
		found, keys, err = r.cluster.lookup(ctx, ref.kind, o.ns, ref.name)
		source = "in the cluster"
		if err != nil {
			r.warn(IDReference, o, ref.path, "%s: %s %q is not in the bundle and could not be checked in the cluster: %v",
				ref.where, ref.kind, ref.name, err)
			return
		}
	}
	if found && (ref.key == "" || keys[ref.key]) {
		return
	}
	r.evidence = fmt.Sprintf("%ss of namespace %s in the bundle", ref.kind, o.ns)
	if r.cluster != nil {
		r.evidence += fmt.Sprintf(", then one LIST of %ss in namespace %s of the cluster", ref.kind, o.ns)
	}
	switch {
	case !found:
		r.missing(o, ref, fmt.Sprintf("%s %s/%s not found", ref.kind, o.ns, ref.name))
	case ref.key != "" && !keys[ref.key]:
		r.missing(o, ref, fmt.Sprintf("key %q not found in %s %s/%s (%s; it has %s)",
			ref.key, ref.kind, o.ns, ref.name, source, keyList(keys)))
	}
}

// missing reports an unresolved reference: fail, or pass with a note when
// the reference is optional. Offline, an object absent from the bundle may
// exist in the cluster: that is a warning, not a failure.
func (r *run) missing(o *object, ref podRef, what string) {
	switch {
	case ref.optional:
		r.add(IDReference, Pass, o, ref.path, "", "%s: %s (optional: the pod starts without it)", ref.where, what)
	case r.cluster == nil && !strings.HasPrefix(what, "key"):
		r.warn(IDReference, o, ref.path, "%s: %s in the bundle; offline, the cluster was not consulted", ref.where, what)
	default:
		where := ""
		if !strings.HasPrefix(what, "key") {
			where = " in the bundle or the cluster"
			if r.cluster == nil {
				where = " in the bundle"
			}
		}
		r.fail(IDReference, o, ref.path, "%s: %s%s", ref.where, what, where)
	}
}

func keyList(keys map[string]bool) string {
	if len(keys) == 0 {
		return "no keys"
	}
	return "keys " + strings.Join(sortedKeys(keys), ", ")
}
