package validate

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// OwnerReader reads which kship release applies each object of a
// namespace (record.Store.Owners), except those of one release.
type OwnerReader interface {
	Owners(ctx context.Context, ns, except string) (map[manifest.Ref]record.Owner, error)
}

// AddOwnership refuses objects another kship release in the same
// namespace applies: this release's rollback would delete or rewrite what
// that release relies on. The history of other releases is read with one
// LIST of their revision Secrets.
func AddOwnership(ctx context.Context, r *Report, st OwnerReader, rel *config.Release, objs []manifest.Object) {
	ns, name := rel.Spec.Namespace, rel.Metadata.Name
	owners, err := st.Owners(ctx, ns, name)
	if err != nil {
		r.Add(Check{ID: IDGuardrail, Title: "Guardrails", Status: Warn,
			Message: fmt.Sprintf("could not read the other kship releases of namespace %s, so objects they own were not looked for: %v", ns, err)})
		return
	}
	taken := 0
	for _, o := range objs {
		owner, ok := owners[o.Ref()]
		if !ok {
			continue
		}
		taken++
		r.Add(Check{ID: IDGuardrail, Title: "Guardrails", Status: Fail, Object: o.Ref(), Source: o.Source,
			Message: fmt.Sprintf("%s belongs to %s: one object must not be applied by two releases (a rollback of either would delete or rewrite it); remove it from one of them, or rename it",
				o.Ref(), owner),
			Evidence: fmt.Sprintf("revision Secret %s in namespace %s lists it", record.SecretName(owner.Release, owner.Revision), ns)})
	}
	if taken == 0 {
		r.Add(Check{ID: IDGuardrail, Title: "Guardrails", Status: Pass,
			Message: fmt.Sprintf("no object of this release belongs to another kship release of namespace %s", ns)})
	}
}
