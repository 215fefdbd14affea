package validate

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/plan"
)

const dryRunTitle = "Server-side dry-run"

// passPhrase says how an object passed, for the modes that need saying.
var passPhrase = map[string]string{
	plan.DryRunStandIn:  "passed the dry-run as a create in a stand-in namespace (its namespace is created by this release)",
	plan.DryRunDeferred: "dry-run deferred (its CRD or namespace is created by this release); checked by schema validation",
}

// AddDryRun turns the plan's dry-run results into check items of the
// dry-run family: one failure per object the server refused, one pass per
// object checked in a way that needs saying (stand-in namespace, deferred
// to the CRD schema), and one pass summarising the rest.
//
// A dry-run failure of an object that already failed the schema or
// API-version check is the same problem seen twice; it is added to that
// item's evidence instead of being listed again, so each problem is listed
// once. Immutable-field refusals are always their own item. A refusal
// naming a field points at that field's line in rel's source files.
func AddDryRun(r *Report, p *plan.Plan, rel *config.Release, offline bool) {
	addDryRun(r, p, offline, newLineFinder(rel))
}

func addDryRun(r *Report, p *plan.Plan, offline bool, lines *lineFinder) {
	if offline || p.Cluster == "" {
		r.Add(Check{ID: IDDryRun, Title: dryRunTitle, Status: Warn,
			Message:  "not run: --offline, so no object was sent to an API server; admission, defaulting and immutable fields are unchecked",
			Evidence: "offline check: built-in schemas and the bundle's CRDs only"})
		return
	}
	risks := immutableAdvice(p)
	counts := map[string]int{}
	merged := 0
	for _, c := range p.Changes {
		if c.Action == plan.ActionPrune {
			continue
		}
		counts[c.DryRun.Mode]++
		switch {
		case c.Conflict != "" && c.DryRunError == "":
			r.Add(conflictFailure(c))
		case c.DryRunError != "":
			if advice, immutable := risks[c.Ref]; immutable || !mergeIntoStatic(r, c) {
				r.Add(dryRunFailure(c, advice, lines))
			} else {
				merged++
			}
		case c.DryRun.Mode == plan.DryRunStandIn || c.DryRun.Mode == plan.DryRunDeferred:
			r.Add(Check{ID: IDDryRun, Title: dryRunTitle, Status: Pass, Object: c.Ref, Source: c.Source,
				Message: fmt.Sprintf("%s: %s", c.Ref, passPhrase[c.DryRun.Mode]), Evidence: c.DryRun.Note})
		}
	}
	checked := len(p.Changes) - p.Counts[plan.ActionPrune]
	msg := fmt.Sprintf("%d of %d objects passed the server-side dry-run in dependency order", checked-len(p.Failed()), checked)
	if merged > 0 {
		msg += fmt.Sprintf("; the %d refused are listed with the schema or API-version problem they repeat", merged)
	}
	r.Add(Check{ID: IDDryRun, Title: dryRunTitle, Status: Pass, Message: msg, Evidence: dryRunEvidence(p, counts)})
}

func dryRunEvidence(p *plan.Plan, counts map[string]int) string {
	parts := []string{fmt.Sprintf("%d by server-side apply (PATCH, dryRun=All, fieldManager %s, fieldValidation=Strict) against %s",
		counts[plan.DryRunServer], kube.FieldManager, p.Cluster)}
	if n := counts[plan.DryRunStandIn]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d as creates in a stand-in namespace (their namespace is created by this release)", n))
	}
	if n := counts[plan.DryRunDeferred]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d deferred to the schema of a CRD this release creates", n))
	}
	return strings.Join(parts, "; ")
}

// conflictFailure is a blocking item for fields another field manager
// owns: deploy's apply would stop there, after earlier objects were written.
func conflictFailure(c plan.Change) Check {
	return Check{ID: IDDryRun, Title: dryRunTitle, Status: Fail, Object: c.Ref, Source: c.Source,
		Message:  fmt.Sprintf("%s: fields owned by another field manager would be taken over: %s; what to do: run with --force-conflicts to take them over, or leave them out of the manifest", c.Ref, c.Conflict),
		Evidence: fmt.Sprintf("dry-run (server-side apply without force) of %s %s", c.APIVersion, c.Ref)}
}

func dryRunFailure(c plan.Change, advice string, lines *lineFinder) Check {
	src := c.Source
	if len(c.DryRunFields) > 0 && lines != nil {
		src = lines.locate(c.Source, parsePath(c.DryRunFields[0]))
	}
	msg := fmt.Sprintf("%s: the API server refuses it: %s", c.Ref, c.DryRunError)
	if advice != "" {
		msg += "; what to do: " + advice
	}
	return Check{ID: IDDryRun, Title: dryRunTitle, Status: Fail, Object: c.Ref, Source: src,
		Message: msg, Evidence: fmt.Sprintf("dry-run (%s) of %s %s", c.DryRun.Mode, c.APIVersion, c.Ref)}
}

// mergeIntoStatic adds a dry-run failure to the evidence of the object's
// failed schema or API-version item; it reports whether there was one.
func mergeIntoStatic(r *Report, c plan.Change) bool {
	merged := false
	for i := range r.Checks {
		x := &r.Checks[i]
		if x.Status != Fail || x.Object != c.Ref || (x.ID != IDSchema && x.ID != IDAPIVersion) {
			continue
		}
		sep := ""
		if x.Evidence != "" {
			sep = "; "
		}
		x.Evidence += sep + "the server-side dry-run agrees: " + c.DryRunError
		merged = true
		break
	}
	return merged
}

// immutableAdvice maps objects with an immutable-field risk to its advice.
func immutableAdvice(p *plan.Plan) map[manifest.Ref]string {
	out := map[manifest.Ref]string{}
	for _, r := range p.Risks {
		if r.Kind == plan.RiskImmutable {
			out[r.Object] = r.Advice
		}
	}
	return out
}
