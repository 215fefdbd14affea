package apply

import (
	"context"
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
)

// Fetch (for the e2e tests) reads the live state of refs (namespaced refs without a namespace
// use ns). The result is aligned with refs: nil where the object does not
// exist. Errors other than NotFound are joined and name the object.
func Fetch(ctx context.Context, c *kube.Clients, ns string, refs []manifest.Ref) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, len(refs))
	errs := make([]error, len(refs))
	forEach(ctx, DefaultWorkers, len(refs), func(i int) {
		out[i], errs[i] = fetchOne(ctx, c, ns, refs[i])
	})
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// fetchOne GETs one object; NotFound is (nil, nil).
func fetchOne(ctx context.Context, c *kube.Clients, ns string, r manifest.Ref) (*unstructured.Unstructured, error) {
	m, err := c.Mapper.RESTMapping(schema.GroupKind{Group: r.Group, Kind: r.Kind})
	if err != nil {
		return nil, objectError(r, "kind not served by the cluster", err)
	}
	res := c.Dynamic.Resource(m.Resource)
	var client interface {
		Get(context.Context, string, metav1.GetOptions, ...string) (*unstructured.Unstructured, error)
	} = res
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if r.Namespace == "" {
			r.Namespace = ns
		}
		client = res.Namespace(r.Namespace)
	}
	u, err := client.Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, objectError(r, "get failed", err)
	}
	return u, nil
}
