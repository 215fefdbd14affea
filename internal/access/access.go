// Package access says which Kubernetes permissions a release needs and
// checks that the identity kship runs as has them. For derives them from
// the release's objects and mechanism, as RBAC rules (a Role in each
// namespace the release writes to, a ClusterRole for the release
// namespace's get and the cluster-scoped objects); Review asks the API
// server, with one SelfSubjectAccessReview per verb, which of them the
// current identity lacks, so check finds a missing permission before the
// first write instead of halfway through a rollback.
package access

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/builtin"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

// Rule is a set of verbs on one resource, in one namespace ("" for a
// cluster-scoped resource), with why kship uses them.
type Rule struct {
	Namespace string   `json:"namespace,omitempty"`
	Group     string   `json:"group"`
	Resource  string   `json:"resource"` // "pods" or a subresource "pods/log"
	Verbs     []string `json:"verbs"`
	// Names restricts the rule to these objects (empty: every object).
	Names []string `json:"names,omitempty"`
	// Why names the stages that use the permission.
	Why string `json:"why"`
}

// Needs is every permission a release needs, in a stable order.
type Needs struct {
	// Namespace is the release namespace.
	Namespace string `json:"namespace"`
	Rules     []Rule `json:"rules"`
}

// Input is what Needs derives the permissions from.
type Input struct {
	Release *config.Release
	// Namespace is the release namespace (the release file's, or -n).
	Namespace string
	Objects   []manifest.Object
	// Mapper resolves custom kinds the bundle's CRDs do not define; nil
	// offline (the resource name is then guessed from the kind).
	Mapper meta.RESTMapper
	// CreateNamespace: the namespace does not exist and kship creates it.
	CreateNamespace bool
}

// Verbs kship uses on the objects of a release: get (live state), list
// and watch (readiness, prune inventory), create and patch (server-side
// apply, which creates what does not exist yet), delete (prune, rollback).
var objectVerbs = []string{"get", "list", "watch", "create", "patch", "delete"}

// For returns the permissions a release needs. An unknown mechanism is
// an error: kship cannot say what it would use.
func For(in Input) (*Needs, error) {
	ns := in.Namespace
	if ns == "" && in.Release != nil {
		ns = in.Release.Spec.Namespace
	}
	b := &builder{rules: map[ruleKey]*Rule{}}
	mech := config.MechanismApply
	if in.Release != nil && in.Release.Spec.Mechanism != "" {
		mech = in.Release.Spec.Mechanism
	}
	if err := b.mechanism(in.Release, mech, ns); err != nil {
		return nil, err
	}
	b.core(ns, in.CreateNamespace)
	b.objects(in.Objects, ns, in.Mapper)
	if in.Release != nil {
		b.smoke(in.Release, ns)
	}
	return &Needs{Namespace: ns, Rules: b.sorted()}, nil
}

type ruleKey struct{ ns, group, resource, names string }

type builder struct {
	rules map[ruleKey]*Rule
}

// add merges verbs into the rule of (ns, group, resource, names).
func (b *builder) add(ns, group, resource string, names []string, why string, verbs ...string) {
	k := ruleKey{ns, group, resource, strings.Join(names, ",")}
	r, ok := b.rules[k]
	if !ok {
		r = &Rule{Namespace: ns, Group: group, Resource: resource, Names: names}
		b.rules[k] = r
	}
	r.Verbs = union(r.Verbs, verbs)
	if !strings.Contains(r.Why, why) {
		r.Why = strings.TrimPrefix(r.Why+"; "+why, "; ")
	}
}

// core is what every release needs whatever its objects: the namespace,
// the revision history, the lock, the failure detector's watches and the
// reference graph's reads.
func (b *builder) core(ns string, create bool) {
	b.add("", "", "namespaces", []string{ns}, "the release namespace exists", "get")
	if create {
		b.add("", "", "namespaces", nil, "kship creates the release namespace", "create")
	}
	b.add(ns, "", "secrets", nil, "the revision history (one Secret per revision)", "get", "list", "create", "update", "delete")
	b.add(ns, "coordination.k8s.io", "leases", nil, "the release lock", "get", "create", "update", "delete")
	b.add(ns, "", "pods", nil, "the failure detector", "get", "list", "watch")
	b.add(ns, "", "events", nil, "the failure detector (Warning Events)", "list", "watch")
	b.add(ns, "apps", "replicasets", nil, "the failure detector (a Deployment's ReplicaSets)", "list", "watch")
	for _, r := range []string{"secrets", "configmaps", "serviceaccounts", "persistentvolumeclaims"} {
		b.add(ns, "", r, nil, "check: what pod templates reference exists", "list")
	}
	b.add(ns, "policy", "poddisruptionbudgets", nil, "check: disruption budgets covering the workloads", "list")
}

// mechanism adds what a mechanism uses besides kship's own calls.
func (b *builder) mechanism(rel *config.Release, name, ns string) error {
	switch name {
	case config.MechanismApply:
		return nil
	case config.MechanismHelm:
		b.add(ns, "", "secrets", nil, "Helm's release storage (sh.helm.release.v1.*)", "get", "list", "watch", "create", "update", "patch", "delete")
		return nil
	case config.MechanismGitOps:
		var g *config.GitOps
		if rel != nil {
			g = rel.Spec.GitOps
		}
		if g == nil {
			return fmt.Errorf("spec.mechanism gitops without spec.gitops: kship does not know the engine whose objects it reads")
		}
		if k := g.Kustomization; k != nil {
			why := "gitops: the Flux Kustomization " + k.String() + " (reconcile now, wait for the commit it applied)"
			b.add(k.Namespace, "kustomize.toolkit.fluxcd.io", "kustomizations", []string{k.Name}, why, "get", "patch")
			b.add(k.Namespace, "kustomize.toolkit.fluxcd.io", "kustomizations", nil, why, "list", "watch")
			b.add(k.Namespace, "source.toolkit.fluxcd.io", "gitrepositories", nil, "gitops: the Kustomization's GitRepository (reconcile now)", "get", "list", "watch", "patch")
		}
		if a := g.Application; a != nil {
			why := "gitops: the Argo CD Application " + a.String() + " (sync or refresh, wait for its status)"
			b.add(a.Namespace, "argoproj.io", "applications", []string{a.Name}, why, "get", "patch", "update")
			b.add(a.Namespace, "argoproj.io", "applications", nil, why, "list", "watch")
		}
		if c := g.Credentials; c != nil && c.SecretRef != nil {
			// check reads it to probe the push, deploy and rollback to push.
			b.add(c.SecretRef.Namespace, "", "secrets", []string{c.SecretRef.Name},
				"gitops: the git credentials kship fetches and pushes with (spec.gitops.credentials.secretRef)", "get")
		}
		return nil
	default:
		return fmt.Errorf("spec.mechanism %q: kship does not know the permissions it needs", name)
	}
}

// objects adds the verbs on every kind of the bundle, in the object's
// namespace (cluster-scoped: a cluster rule restricted by name where RBAC
// allows it).
func (b *builder) objects(objs []manifest.Object, ns string, mapper meta.RESTMapper) {
	crds := bundleCRDs(objs)
	custom := false
	for _, o := range objs {
		gvk := o.GVK()
		res, namespaced, isBuiltin := resourceOf(gvk, crds, mapper)
		custom = custom || !isBuiltin
		why := "rollout and rollback of the release's " + gvk.Kind + " objects"
		if !namespaced {
			name := []string{o.Obj.GetName()}
			b.add("", gvk.Group, res, name, why, "get", "patch", "delete")
			b.add("", gvk.Group, res, nil, why, "list", "watch", "create")
			continue
		}
		objNS := o.Obj.GetNamespace()
		if objNS == "" {
			objNS = ns
		}
		b.add(objNS, gvk.Group, res, nil, why, objectVerbs...)
	}
	if custom {
		b.add("", "apiextensions.k8s.io", "customresourcedefinitions", nil, "check: custom resources validated against their CRD", "list")
	}
}

// smoke adds what Job smoke checks use.
func (b *builder) smoke(rel *config.Release, ns string) {
	for _, c := range rel.Spec.Verify.Smoke {
		if c.Job == nil {
			continue
		}
		why := "verify: Job smoke check " + c.Name
		b.add(ns, "batch", "jobs", nil, why, "get", "list", "watch", "create", "delete")
		b.add(ns, "", "pods", nil, why, "list")
		b.add(ns, "", "pods/log", nil, why, "get")
	}
}

func (b *builder) sorted() []Rule {
	out := make([]Rule, 0, len(b.rules))
	for _, r := range b.rules {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.Namespace != c.Namespace {
			return a.Namespace < c.Namespace
		}
		if a.Group != c.Group {
			return a.Group < c.Group
		}
		if a.Resource != c.Resource {
			return a.Resource < c.Resource
		}
		return strings.Join(a.Names, ",") < strings.Join(c.Names, ",")
	})
	return out
}

// verbOrder is the order verbs are printed in.
var verbOrder = map[string]int{"get": 0, "list": 1, "watch": 2, "create": 3, "update": 4, "patch": 5, "delete": 6}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range append(append([]string(nil), a...), b...) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return verbOrder[out[i]] < verbOrder[out[j]] })
	return out
}

type crdInfo struct {
	plural     string
	namespaced bool
}

func bundleCRDs(objs []manifest.Object) map[schema.GroupKind]crdInfo {
	out := map[schema.GroupKind]crdInfo{}
	for _, o := range objs {
		if o.GVK().GroupKind() != (schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}) {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "names", "kind")
		plural, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "names", "plural")
		scope, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "scope")
		out[schema.GroupKind{Group: group, Kind: kind}] = crdInfo{plural: plural, namespaced: scope != "Cluster"}
	}
	return out
}

// resourceOf names the resource of a kind and its scope: the API server's
// table of built-in kinds, the bundle's CRDs, the cluster's mapper, else a
// guess from the kind (namespaced, as most custom resources are).
func resourceOf(gvk schema.GroupVersionKind, crds map[schema.GroupKind]crdInfo, mapper meta.RESTMapper) (resource string, namespaced, isBuiltin bool) {
	if k, ok := builtin.Lookup(gvk); ok && !k.Subresource {
		return k.Resource, k.Scope != builtin.Cluster, true
	}
	if c, ok := crds[gvk.GroupKind()]; ok && c.plural != "" {
		return c.plural, c.namespaced, false
	}
	if mapper != nil {
		if m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err == nil {
			return m.Resource.Resource, m.Scope.Name() == meta.RESTScopeNameNamespace, false
		}
	}
	plural, _ := meta.UnsafeGuessKindToResource(gvk)
	return plural.Resource, true, false
}
