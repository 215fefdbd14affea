package plan

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// standInDryRun checks an object whose Namespace this release creates. The
// server cannot dry-run it in a namespace that does not exist yet, so it is
// dry-run as a create (which is what the apply will do) in an existing
// stand-in namespace; errors are mapped back to the real namespace. When an
// object of the same name exists in the stand-in, the dry-run uses a
// generated name instead.
func (s *session) standInDryRun(ctx context.Context, ob observed, m *meta.RESTMapping) (observed, error) {
	real := ob.obj.Obj.GetNamespace()
	ob.change.Action = ActionCreate
	ob.change.DryRun = DryRun{Mode: DryRunStandIn, Note: fmt.Sprintf(
		"namespace %s does not exist yet and is created by this release: dry-run as a create in the existing namespace %s instead; admission that depends on namespace %s itself (its quotas, limit ranges, pod-security labels) is not exercised",
		real, s.standIn, real)}
	u := ob.obj.Obj.DeepCopy()
	u.SetNamespace(s.standIn)
	_, err := s.dryRunCreate(ctx, m, u)
	if apierrors.IsAlreadyExists(err) {
		u.SetGenerateName(truncate(u.GetName(), 50) + "-")
		u.SetName("")
		_, err = s.dryRunCreate(ctx, m, u)
		ob.change.DryRun.Note += fmt.Sprintf("; %s exists in %s, so a generated name was used", ob.obj.Obj.GetName(), s.standIn)
	}
	if apierrors.IsForbidden(err) && isAccess(err) {
		// No rights in the stand-in: say so rather than fail the release.
		ob.change.DryRun = DryRun{Mode: DryRunDeferred, Note: fmt.Sprintf(
			"namespace %s does not exist yet and the credentials may not dry-run in the stand-in namespace %s: checked by schema validation only", real, s.standIn)}
		return ob, nil
	}
	if err != nil {
		if isAccess(err) {
			return ob, accessErr(ob.obj.Ref(), ob.obj.Source, err)
		}
		ob.change.DryRunError = Scrub(mapNamespace(err.Error(), s.standIn, real), s.secrets)
		ob.change.DryRunFields = causeFields(err)
	}
	return ob, nil
}

func (s *session) dryRunCreate(ctx context.Context, m *meta.RESTMapping, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	return s.resource(m, u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{
		DryRun: []string{metav1.DryRunAll}, FieldManager: s.c.fieldManager(), FieldValidation: "Strict"})
}

// mapNamespace rewrites the stand-in namespace back to the real one where
// an error message names it.
func mapNamespace(msg, standIn, real string) string {
	for _, f := range []string{`namespace %q`, `namespaces/%s/`, `namespace %s `, `in namespace %s`} {
		msg = strings.ReplaceAll(msg, fmt.Sprintf(f, standIn), fmt.Sprintf(f, real))
	}
	return msg
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
