package evidence

import (
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/plan"
)

// PlanMarkdown renders a plan as rollout-plan.md: scope counts, each change
// with its field diffs and how it was dry-run, the risks, the success
// criteria and the rollback trigger and method. Secret values are never in
// a Plan, so never in this file.
func PlanMarkdown(p *plan.Plan) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Rollout plan: %s\n\n", p.Release)
	fmt.Fprintf(&b, "- Release: `%s`, namespace `%s`\n", p.Release, p.Namespace)
	if p.Cluster != "" {
		fmt.Fprintf(&b, "- Cluster: %s (server-side dry-run, nothing written)\n", p.Cluster)
	} else {
		b.WriteString("- Cluster: none (offline: nothing was dry-run; creates and updates cannot be told apart)\n")
	}
	if p.Mechanism != "" {
		fmt.Fprintf(&b, "- Mechanism: %s\n", p.Mechanism)
	}
	if len(p.Strategy) > 0 {
		b.WriteString("- Strategy steps:\n")
		for i, s := range p.Strategy {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, s)
		}
	}
	if !p.Generated.IsZero() {
		fmt.Fprintf(&b, "- Generated: %s\n", p.Generated.UTC().Format(time.RFC3339))
	}
	if len(p.Defaults) > 0 {
		b.WriteString("- Filled in by default:")
		for i, d := range p.Defaults {
			sep := ","
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(&b, "%s `%s: %s`", sep, d.Field, d.Value)
		}
		b.WriteString("\n")
	}
	writePlanScope(&b, p)
	writePlanChanges(&b, p)
	writePlanRestarts(&b, p.Restarts)
	writePlanRisks(&b, p)
	writePlanCriteria(&b, p.Criteria)
	return []byte(b.String())
}

func writePlanScope(b *strings.Builder, p *plan.Plan) {
	b.WriteString("\n## Scope\n\n| create | update | unchanged | prune | dry-run failed |\n|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(b, "| %d | %d | %d | %d | %d |\n", p.Counts[plan.ActionCreate], p.Counts[plan.ActionUpdate],
		p.Counts[plan.ActionUnchanged], p.Counts[plan.ActionPrune], len(p.Failed()))
}

func writePlanChanges(b *strings.Builder, p *plan.Plan) {
	b.WriteString("\n## Changes\n")
	if len(p.Changes) == 0 {
		b.WriteString("\nThe release has no objects.\n")
		return
	}
	shown, omitted := shownChanges(p.Changes, markdownChanges)
	if omitted > 0 {
		fmt.Fprintf(b, "\n%s.\n\n| kind | namespace | create | update | unchanged | prune | dry-run failed |\n|---|---|---:|---:|---:|---:|---:|\n", listedChangesText(len(p.Changes), len(shown)))
		for _, r := range scopeRows(p.Changes, markdownSummary) {
			fmt.Fprintf(b, "| %s | %s | %d | %d | %d | %d | %d |\n", mdCell(r.Kind), mdCell(r.Namespace), r.Counts[plan.ActionCreate],
				r.Counts[plan.ActionUpdate], r.Counts[plan.ActionUnchanged], r.Counts[plan.ActionPrune], r.Failed)
		}
	}
	for _, c := range shown {
		fmt.Fprintf(b, "\n### %s %s\n\n", c.Action, c.Ref)
		fmt.Fprintf(b, "- Source: `%s`", c.Source)
		if c.APIVersion != "" {
			fmt.Fprintf(b, " (%s)", c.APIVersion)
		}
		b.WriteString("\n")
		fmt.Fprintf(b, "- Dry-run: %s\n", planDryRunText(c))
		if c.Conflict != "" {
			fmt.Fprintf(b, "- **Field conflict** (deploy needs `--force-conflicts`; the diff is what a forced apply changes): %s\n", mdCode(c.Conflict))
		}
		if c.DryRunError != "" {
			fmt.Fprintf(b, "- **Dry-run failed:** %s\n", mdCode(c.DryRunError))
		}
		for _, d := range c.Diff {
			fmt.Fprintf(b, "- %s\n", mdCode(d.String()))
		}
	}
	if omitted > 0 {
		fmt.Fprintf(b, "\n%d more changes are counted above and not listed; %s.\n", omitted, everyChangeIn)
	}
}

func planDryRunText(c plan.Change) string {
	var s string
	switch c.DryRun.Mode {
	case plan.DryRunServer:
		s = "server-side apply, dryRun=All, fieldValidation=Strict"
	case plan.DryRunStandIn:
		s = "server-side create in a stand-in namespace"
	case plan.DryRunDeferred:
		s = "deferred"
	case plan.DryRunNotServed:
		s = "not possible: kind not served"
	default:
		s = "none"
	}
	if c.DryRun.Note != "" {
		s += " — " + c.DryRun.Note
	}
	return s
}

// writePlanRestarts lists the workloads a config change restarts; nothing
// when none does (a first release).
func writePlanRestarts(b *strings.Builder, rs []plan.Restart) {
	if len(rs) == 0 {
		return
	}
	b.WriteString("\n## Restarts for config changes\n\nThe config digest kship stamps into each pod template (`kship.dev/config-digest`) changes, so these workloads roll out and are verified in this release:\n\n")
	for i, r := range rs {
		if i == markdownRestarts {
			fmt.Fprintf(b, "- and %d more; %s\n", len(rs)-i, everyChangeIn)
			break
		}
		fmt.Fprintf(b, "- %s\n", r)
	}
}

func writePlanRisks(b *strings.Builder, p *plan.Plan) {
	b.WriteString("\n## Risks\n\n")
	if len(p.Risks) == 0 {
		b.WriteString("None found (checked: deletes and prunes, PVC and CRD changes, replicas to 0, `:latest` or untagged images, immutable fields).\n")
		return
	}
	for _, it := range riskItems(p.Risks, markdownRiskShown) {
		r := it.Risk
		if it.Count > 0 {
			fmt.Fprintf(b, "- **%s** %s", r.Kind, groupedRiskText(it))
		} else {
			fmt.Fprintf(b, "- **%s** %s: %s", r.Kind, r.Object, r.Message)
		}
		if r.Advice != "" {
			fmt.Fprintf(b, " — what to do: %s.", strings.TrimSuffix(r.Advice, "."))
		}
		b.WriteString("\n")
	}
}

func writePlanCriteria(b *strings.Builder, c plan.Criteria) {
	fmt.Fprintf(b, "\n## Success criteria\n\nStrategy %s. The release is verified when, in order:\n\n", c.Strategy)
	for i, s := range c.Success {
		fmt.Fprintf(b, "%d. %s\n", i+1, s)
	}
	if len(c.Gates) > 0 {
		fmt.Fprintf(b, "\nGates are evaluated against %s:\n\n| gate | query | thresholds | no data |\n|---|---|---|---|\n", c.Prometheus)
		for _, g := range c.Gates {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdCell(g.Name), mdCell(mdCode(g.Query)), mdCell(g.Thresholds), g.NoData)
		}
	}
	b.WriteString("\n## Rollback\n\nTrigger — any of:\n\n")
	for _, t := range c.Triggers {
		fmt.Fprintf(b, "- %s\n", t)
	}
	method := "automatic: kship rolls back as soon as a trigger fires"
	if c.RollbackMethod != "auto" {
		method = fmt.Sprintf("%s: kship stops and reports; roll back with `kship rollback`", c.RollbackMethod)
	}
	fmt.Fprintf(b, "\nMethod: %s.\n\nWhat it restores: %s.\n", method, c.RollbackRestores)
}

// code wraps s in a Markdown code span that survives backticks inside.
func mdCode(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// cell escapes a value for a Markdown table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
