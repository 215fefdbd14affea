package manifest

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// IsNamespaced (for the tests) is NewScope(mapper, bundle).IsNamespaced(gvk) for a single
// question; build a Scope once when asking for many objects.
func IsNamespaced(gvk schema.GroupVersionKind, mapper meta.RESTMapper, bundle []Object) (namespaced, known bool) {
	return NewScope(mapper, bundle).IsNamespaced(gvk)
}
