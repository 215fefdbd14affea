package plan

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/manifest"
)

// listThreshold is the number of objects of one resource in one namespace
// from which the live objects are read with one LIST instead of one GET
// each: a release of 200 Deployments costs one request, not 200.
const listThreshold = 3

type bulkKey struct {
	gvr schema.GroupVersionResource
	ns  string
}

type liveKey struct {
	list bulkKey
	name string
}

// prefetch reads the live objects of every resource and namespace the
// bundle has at least listThreshold objects of, one paginated LIST each.
// A LIST that fails (for example, allowed GET but not LIST) is skipped: the
// objects are then read one by one.
func (s *session) prefetch(ctx context.Context, objs []manifest.Object) {
	counts := map[bulkKey]int{}
	mappings := map[bulkKey]*meta.RESTMapping{}
	for _, o := range objs {
		m, err := s.mapping(o.Obj)
		if err != nil || s.newNamespaces[o.Obj.GetNamespace()] {
			continue
		}
		k := bulkKey{gvr: m.Resource, ns: o.Obj.GetNamespace()}
		if m.Scope.Name() != meta.RESTScopeNameNamespace {
			k.ns = ""
		}
		counts[k]++
		mappings[k] = m
	}
	s.listed = map[bulkKey]bool{}
	for k, n := range counts {
		if n >= listThreshold && s.list(ctx, mappings[k], k) == nil {
			s.listed[k] = true
		}
	}
}

func (s *session) list(ctx context.Context, m *meta.RESTMapping, k bulkKey) error {
	opts := metav1.ListOptions{Limit: 500}
	for {
		l, err := s.resource(m, k.ns).List(ctx, opts)
		if err != nil {
			return err
		}
		for i := range l.Items {
			s.live[liveKey{list: k, name: l.Items[i].GetName()}] = &l.Items[i]
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return nil
		}
	}
}

// prefetched returns the live object from the bulk read, and whether its
// resource and namespace were read in bulk at all.
func (s *session) prefetched(m *meta.RESTMapping, u *unstructured.Unstructured) (*unstructured.Unstructured, bool) {
	k := bulkKey{gvr: m.Resource, ns: u.GetNamespace()}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		k.ns = ""
	}
	if !s.listed[k] {
		return nil, false
	}
	return s.live[liveKey{list: k, name: u.GetName()}], true
}
