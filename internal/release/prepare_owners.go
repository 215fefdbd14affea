package release

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/validate"
)

// addOwnershipCheck refuses objects another kship release in the same
// namespace applies: this release's rollback would delete or rewrite what
// that release relies on. The history of other releases is read with one
// LIST of their revision Secrets.
func addOwnershipCheck(ctx context.Context, r *validate.Report, st *record.Store, p *Prepared) {
	ns, name := p.Release.Spec.Namespace, p.Release.Metadata.Name
	owners, err := st.Owners(ctx, ns, name)
	if err != nil {
		r.Add(validate.Check{ID: validate.IDGuardrail, Title: "Guardrails", Status: validate.Warn,
			Message: fmt.Sprintf("could not read the other kship releases of namespace %s, so objects they own were not looked for: %v", ns, err)})
		return
	}
	taken := 0
	for _, o := range p.Objects {
		owner, ok := owners[o.Ref()]
		if !ok {
			continue
		}
		taken++
		r.Add(validate.Check{ID: validate.IDGuardrail, Title: "Guardrails", Status: validate.Fail, Object: o.Ref(), Source: o.Source,
			Message: fmt.Sprintf("%s belongs to %s: one object must not be applied by two releases (a rollback of either would delete or rewrite it); remove it from one of them, or rename it",
				o.Ref(), owner),
			Evidence: fmt.Sprintf("revision Secret %s in namespace %s lists it", record.SecretName(owner.Release, owner.Revision), ns)})
	}
	if taken == 0 {
		r.Add(validate.Check{ID: validate.IDGuardrail, Title: "Guardrails", Status: validate.Pass,
			Message: fmt.Sprintf("no object of this release belongs to another kship release of namespace %s", ns)})
	}
}
