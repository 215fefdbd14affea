package release

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/validate"
)

func schemaGK(r manifest.Ref) schema.GroupKind {
	return schema.GroupKind{Group: r.Group, Kind: r.Kind}
}

// addSeamsCheck refuses a mechanism or strategy the deploy executor does
// not have, in the words deploy refuses it, so kship check and kship
// deploy agree on what blocks.
func addSeamsCheck(r *validate.Report, rel *config.Release, c Catalog) {
	if why := c.check(rel); why != "" {
		r.Add(validate.Check{ID: validate.IDGuardrail, Title: "Guardrails", Status: validate.Fail,
			Message: why, Evidence: "spec.mechanism and spec.strategy.type of the release file"})
	}
}
