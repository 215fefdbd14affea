package mcp

import (
	"encoding/json"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/release"
)

// The tools, by name.
const (
	ToolPlan     = "plan"
	ToolCheck    = "check"
	ToolDeploy   = "deploy"
	ToolStatus   = "status"
	ToolHistory  = "history"
	ToolRollback = "rollback"
	ToolDrill    = "drill"
	ToolEvidence = "evidence"
	ToolExplain  = "explain"
)

func ptr[T any](v T) *T { return &v }

// Annotations, honest: reading tools are read-only (plan and check write
// only local evidence files, no cluster object); deploy and rollback
// change and may delete objects (prune, restore); a drill rolls back and
// forward again.
var (
	readOnly = &sdk.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)}
	mutating = &sdk.ToolAnnotations{DestructiveHint: ptr(true), OpenWorldHint: ptr(false)}
)

func (s *Server) addTools() {
	sdk.AddTool(s.sdk, tool[PlanOutput](ToolPlan, "Plan a release", readOnly,
		"Render a release file and diff it against the live cluster with a server-side dry-run (Secret values masked); nothing is written to the cluster. "+
			"Returns a planId bound to the rendered objects, the release file and the live state: deploy needs it, and refuses it once any of them changed. Also says whether the policy allows the deploy and whether it needs a human's approval."),
		s.plan)
	sdk.AddTool(s.sdk, tool[CheckOutput](ToolCheck, "Check a release", readOnly,
		"The plan plus every prepare check (schema, dry-run, API versions, references, hygiene, migrations, guardrails), all at once; nothing is written to the cluster. exitCode 2 when a check blocks the deploy."),
		s.check)
	sdk.AddTool(s.sdk, tool[DeployOutput](ToolDeploy, "Deploy a planned release", mutating,
		"Run the whole workflow (prepare, rollout, verify, stabilize; automatic rollback on any trigger) for the plan of planId, exactly as `kship deploy`. "+
			"Refused when the plan id is unknown, expired or stale (the new diff is returned), when the policy does not allow the target, or when the target needs a human's approval and approval is not a valid one-time code from `kship approve PLAN-ID`. "+
			"exitCode: 0 verified, 2 refused (nothing applied), 3 rolled back, 4 rollback failed (page a human), 5 applied but NOT verified (not a success)."),
		s.deploy)
	sdk.AddTool(s.sdk, tool[release.StatusReport](ToolStatus, "Release status", readOnly,
		"A release's state: current and deployed revision, last outcome, the lock (as `kship status -o json`)."),
		s.status)
	sdk.AddTool(s.sdk, tool[HistoryOutput](ToolHistory, "Release history", readOnly,
		"A release's revisions, newest first, with outcome and evidence folder (as `kship history -o json`)."),
		s.history)
	sdk.AddTool(s.sdk, tool[RollbackOutput](ToolRollback, "Roll a release back", mutating,
		"Restore an earlier revision exactly (config and Secrets included) and verify it, as `kship rollback`. Two calls: without planId it changes nothing and returns a planId bound to the release's history; with that planId (and an approval where the policy requires one) it rolls back."),
		s.rollback)
	sdk.AddTool(s.sdk, tool[RollbackOutput](ToolDrill, "Rollback drill", mutating,
		"Roll back, verify, roll forward again and verify, recording drill evidence (refused in production namespaces), as `kship rollback --drill`. Two calls, like rollback."),
		s.drill)
	sdk.AddTool(s.sdk, tool[EvidenceOutput](ToolEvidence, "Read evidence", readOnly,
		"List or read the files of an evidence bundle (rollout-plan.md, release-checklist.md, evidence.json, rollback.md, checks.json, …), Secret values masked. Give release and namespace (and revision, default the newest), or an evidenceDir a result returned."),
		s.evidence)
	sdk.AddTool(s.sdk, tool[ExplainOutput](ToolExplain, "Explain an outcome", readOnly,
		"Why a release attempt ended as it did, in plain words with the numbers, from its evidence: each failed or inconclusive gate (query, value, threshold, window, samples, why there was no data), smoke check, detector failure and blocking check (file and line)."),
		s.explain)
}

// tool describes one tool: its title is both the tool's and its
// annotations', its output schema is Out's.
func tool[Out any](name, title string, a *sdk.ToolAnnotations, description string) *sdk.Tool {
	c := *a
	c.Title = title
	return &sdk.Tool{Name: name, Title: title, Annotations: &c, OutputSchema: outputSchema[Out](), Description: description}
}

// result is a tool result: a one-line summary and the structured output
// as JSON text; an exit code other than 0 marks it an error.
func result(code int, summary string, out any) *sdk.CallToolResult {
	b, _ := json.MarshalIndent(out, "", "  ")
	return &sdk.CallToolResult{IsError: code != exitcode.OK,
		Content: []sdk.Content{&sdk.TextContent{Text: summary}, &sdk.TextContent{Text: string(b)}}}
}

// refusedOutcome is the outcome of a change the server refused before
// calling the executor: exit 2, nothing applied.
func refusedOutcome(name, ns, reason string, now time.Time) *event.Outcome {
	return &event.Outcome{Release: name, Namespace: ns, Verdict: event.Refused, ExitCode: exitcode.Refused,
		Summary: "refused, nothing applied: " + reason, StartedAt: now, FinishedAt: now}
}

// summaryOf says an outcome in one line, never calling exit 5 a success.
func summaryOf(o *event.Outcome) string {
	s := o.Summary
	if o.Trigger != "" && o.Verdict != event.Verified {
		s += " (trigger: " + o.Trigger + ")"
	}
	switch o.Verdict {
	case event.Unverified:
		return "NOT VERIFIED, not a success (exit 5): " + s
	case event.Verified:
		return "verified (exit 0): " + s
	}
	return string(o.Verdict) + " (exit " + itoa(o.ExitCode) + "): " + s
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
