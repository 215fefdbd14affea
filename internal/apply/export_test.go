package apply

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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
