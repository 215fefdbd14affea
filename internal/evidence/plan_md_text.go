package evidence

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/plan"
)

// actionMarks are the one-character marks of the plan's actions.
var actionMarks = map[plan.Action]string{
	plan.ActionCreate: "+", plan.ActionUpdate: "~", plan.ActionUnchanged: "=", plan.ActionPrune: "-",
}

// PlanText renders the concise terminal view of a plan: the counts, each
// created, updated or pruned object with its field diffs and dry-run
// result, the workloads config changes restart, the risks and the
// criteria. Unchanged objects are only counted.
func PlanText(p *plan.Plan) string {
	var b strings.Builder
	where := "offline, nothing dry-run"
	if p.Cluster != "" {
		where = "dry-run against " + p.Cluster
	}
	fmt.Fprintf(&b, "Plan for release %s in namespace %s (%s)\n", p.Release, p.Namespace, where)
	if p.Mechanism != "" {
		fmt.Fprintf(&b, "  %s\n", p.Mechanism)
	}
	for i, s := range p.Strategy {
		fmt.Fprintf(&b, "  step %d: %s\n", i+1, s)
	}
	fmt.Fprintf(&b, "  %d to create, %d to update, %d unchanged, %d to prune\n", p.Counts[plan.ActionCreate],
		p.Counts[plan.ActionUpdate], p.Counts[plan.ActionUnchanged], p.Counts[plan.ActionPrune])
	if n := len(p.Failed()); n > 0 {
		fmt.Fprintf(&b, "  %d refused by the API server's dry-run\n", n)
	}
	b.WriteString("\n")
	var listed []plan.Change
	for _, c := range p.Changes {
		if c.Action != plan.ActionUnchanged || c.DryRunError != "" {
			listed = append(listed, c)
		}
	}
	shown, omitted := shownChanges(listed, textChanges)
	for _, c := range shown {
		fmt.Fprintf(&b, "  %s %-9s %s  (%s)\n", actionMarks[c.Action], c.Action, c.Ref, c.Source)
		for _, d := range c.Diff {
			fmt.Fprintf(&b, "      %s\n", d)
		}
		if c.Conflict != "" {
			fmt.Fprintf(&b, "      ! field conflict (deploy needs --force-conflicts): %s\n", oneLine(c.Conflict))
		}
		if c.DryRunError != "" {
			fmt.Fprintf(&b, "      ✗ dry-run failed: %s\n", oneLine(c.DryRunError))
		} else if c.DryRun.Mode == plan.DryRunStandIn || c.DryRun.Mode == plan.DryRunDeferred {
			fmt.Fprintf(&b, "      note: %s\n", c.DryRun.Note)
		}
	}
	if omitted > 0 {
		writePlanTextScope(&b, p, omitted)
	}
	if len(p.Restarts) > 0 {
		fmt.Fprintf(&b, "\nRestarts for config changes (%d):\n", len(p.Restarts))
		for i, r := range p.Restarts {
			if i == textRestarts {
				fmt.Fprintf(&b, "  ... and %d more; %s\n", len(p.Restarts)-i, everyChangeIn)
				break
			}
			fmt.Fprintf(&b, "  ↻ %s\n", r)
		}
	}
	writePlanTextRisks(&b, p.Risks)
	writePlanTextCriteria(&b, p.Criteria)
	writePlanTextDefaults(&b, p)
	return b.String()
}

// writePlanTextScope counts per kind and namespace what a long plan does
// not list.
func writePlanTextScope(b *strings.Builder, p *plan.Plan, omitted int) {
	fmt.Fprintf(b, "  ... and %d more changes not listed; %s. By kind and namespace:\n", omitted, everyChangeIn)
	for _, r := range scopeRows(p.Changes, textSummary) {
		ns := r.Namespace
		if ns == "" {
			ns = "(cluster)"
		}
		fmt.Fprintf(b, "      %-40s %-20s %d create, %d update, %d unchanged, %d prune", r.Kind, ns, r.Counts[plan.ActionCreate],
			r.Counts[plan.ActionUpdate], r.Counts[plan.ActionUnchanged], r.Counts[plan.ActionPrune])
		if r.Failed > 0 {
			fmt.Fprintf(b, ", %d dry-run failed", r.Failed)
		}
		b.WriteString("\n")
	}
}

func writePlanTextRisks(b *strings.Builder, risks []plan.Risk) {
	if len(risks) == 0 {
		b.WriteString("\nRisks: none found\n")
		return
	}
	fmt.Fprintf(b, "\nRisks (%d):\n", len(risks))
	for _, it := range riskItems(risks, textRiskShown) {
		r := it.Risk
		if it.Count > 0 {
			fmt.Fprintf(b, "  ! [%s] %s\n", r.Kind, groupedRiskText(it))
		} else {
			fmt.Fprintf(b, "  ! %s [%s]: %s\n", r.Object, r.Kind, r.Message)
		}
		if r.Advice != "" {
			fmt.Fprintf(b, "      what to do: %s\n", r.Advice)
		}
	}
}

func writePlanTextCriteria(b *strings.Builder, c plan.Criteria) {
	fmt.Fprintf(b, "\nSuccess criteria (%s):\n", c.Strategy)
	for i, s := range c.Success {
		fmt.Fprintf(b, "  %d. %s\n", i+1, s)
	}
	fmt.Fprintf(b, "Rollback: %s, on any of:\n", c.RollbackMethod)
	for _, t := range c.Triggers {
		fmt.Fprintf(b, "  - %s\n", t)
	}
	fmt.Fprintf(b, "Rollback restores: %s\n", c.RollbackRestores)
}

func writePlanTextDefaults(b *strings.Builder, p *plan.Plan) {
	if len(p.Defaults) == 0 {
		return
	}
	parts := make([]string, len(p.Defaults))
	for i, d := range p.Defaults {
		parts[i] = d.Field + "=" + d.Value
	}
	fmt.Fprintf(b, "Defaults filled in: %s\n", strings.Join(parts, ", "))
}
