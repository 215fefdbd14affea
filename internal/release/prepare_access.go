package release

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/access"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/validate"
)

// reviewAccess asks the API server which permissions the release needs
// (access.For: its objects and mechanism) the kubeconfig's identity lacks.
// Without a cluster it asks nothing.
func (o *PrepareOptions) reviewAccess(ctx context.Context, rel *config.Release, objs []manifest.Object) error {
	if o.Clients == nil || o.Clients.Typed == nil {
		return nil
	}
	create := false
	if _, err := o.Clients.Typed.CoreV1().Namespaces().Get(ctx, rel.Spec.Namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		create = true
	}
	needs, err := access.For(access.Input{Release: rel, Namespace: rel.Spec.Namespace, Objects: objs, Mapper: o.Clients.Mapper, CreateNamespace: create})
	if err != nil {
		return &InputError{Err: err}
	}
	missing, err := access.Review(ctx, o.Clients.Typed, needs)
	if err != nil {
		return err
	}
	o.denied = missing
	return nil
}

// addAccessCheck makes each missing permission a blocking finding naming
// the verb and the resource; with none missing, one passing item.
func addAccessCheck(r *validate.Report, o PrepareOptions, rel *config.Release) {
	if o.Clients == nil && len(o.denied) == 0 {
		return
	}
	const title = "permissions kship needs"
	ev := fmt.Sprintf("one SelfSubjectAccessReview per verb of `kship rbac -f %s` (the rules this release needs)", releaseFileName(rel, o.ReleaseFile))
	if len(o.denied) == 0 {
		r.Add(validate.Check{ID: validate.IDGuardrail, Title: title, Status: validate.Pass,
			Message: "the kubeconfig's identity has every permission the release needs (rollout, verification and rollback)", Evidence: ev})
		return
	}
	for _, m := range o.denied {
		r.Add(validate.Check{ID: validate.IDGuardrail, Title: title, Status: validate.Fail,
			Message: fmt.Sprintf("kship may not %s, which it needs for %s: grant it (kship rbac -f %s prints the Role) or the release would stop halfway, and so would its rollback; "+
				"the plan and live checks were not run", m, m.Rule.Why, releaseFileName(rel, o.ReleaseFile)),
			Rule: "a permission the release needs is missing", Evidence: ev})
	}
}

// Permissions returns the permissions a release needs (what `kship rbac`
// prints), from its release file and its rendered objects, without a
// cluster: custom kinds the bundle's CRDs do not define get the resource
// name Kubernetes would guess. ns overrides spec.namespace; createNS adds
// the cluster-wide create of namespaces kship needs when it creates the
// release namespace.
func Permissions(ctx context.Context, file, ns string, createNS bool) (*config.Release, *access.Needs, error) {
	rel, err := config.Load(file)
	if err != nil {
		return nil, nil, &InputError{Err: err}
	}
	if ns != "" {
		rel.Spec.Namespace = ns
	}
	objs, err := manifest.LoadOffline(ctx, rel)
	if err != nil {
		return nil, nil, &InputError{Err: err}
	}
	needs, err := access.For(access.Input{Release: rel, Namespace: rel.Spec.Namespace, Objects: objs, CreateNamespace: createNS})
	if err != nil {
		return nil, nil, &InputError{Err: err}
	}
	return rel, needs, nil
}
