package manifest

import (
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/builtin"
)

// Scope answers whether a kind lives in a namespace. It asks, in order:
// the API server's own table of built-in kinds (package builtin), the CustomResourceDefinitions of the
// bundle (their spec.scope), and the cluster's REST mapper when there is one
// (each kind once). It is safe for concurrent use.
type Scope struct {
	mapper meta.RESTMapper
	crds   map[schema.GroupKind]bool
	mu     sync.Mutex
	asked  map[schema.GroupKind]scopeAnswer // the mapper's answers, so each kind is asked once
}

type scopeAnswer struct{ namespaced, known bool }

// NewScope builds a Scope for a bundle; mapper may be nil (offline).
func NewScope(mapper meta.RESTMapper, bundle []Object) *Scope {
	s := &Scope{mapper: mapper, crds: map[schema.GroupKind]bool{}, asked: map[schema.GroupKind]scopeAnswer{}}
	for _, o := range bundle {
		if o.Obj.GroupVersionKind().GroupKind() != crdKind {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "scope")
		if kind != "" {
			s.crds[schema.GroupKind{Group: group, Kind: kind}] = scope != "Cluster"
		}
	}
	return s
}

var crdKind = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}

// IsNamespaced reports whether objects of gvk live in a namespace, and
// whether the kind is known at all. An unknown kind (not built in, not
// defined by a CRD of the bundle, not served by the cluster) is reported as
// namespaced, as most custom resources are, with known = false.
func (s *Scope) IsNamespaced(gvk schema.GroupVersionKind) (namespaced, known bool) {
	gk := gvk.GroupKind()
	if sc := builtin.ScopeOf(gk); sc != builtin.Unknown {
		return sc == builtin.Namespaced, true
	}
	if ns, ok := s.crds[gk]; ok {
		return ns, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.asked[gk]; ok {
		return a.namespaced, a.known
	}
	a := scopeAnswer{namespaced: true}
	if s.mapper != nil {
		if m, err := s.mapper.RESTMapping(gk, gvk.Version); err == nil {
			a = scopeAnswer{namespaced: m.Scope.Name() == meta.RESTScopeNameNamespace, known: true}
		}
	}
	s.asked[gk] = a
	return a.namespaced, a.known
}
