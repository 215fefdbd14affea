package mcp

import (
	"context"
	"errors"
	"fmt"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/plan"
	"github.com/kship/kship/internal/release"
)

// PlanInput names the release file to plan.
type PlanInput struct {
	File      string `json:"file" jsonschema:"the release file (kship.yaml), absolute or relative to the server's workspace"`
	Namespace string `json:"namespace,omitempty" jsonschema:"the namespace to plan for, overriding spec.namespace (like kship -n)"`
}

// PlanOutput is a plan: the same plan and evidenceDir as `kship plan -o
// json`, and the plan id deploy needs.
type PlanOutput struct {
	// Verdict is "planned", "blocked" (the API server refused objects in
	// the dry-run: deploy would stop) or "refused"/"error".
	Verdict  string `json:"verdict"`
	ExitCode int    `json:"exitCode"`
	Message  string `json:"message"`
	// PlanID is what deploy needs; empty when the plan is blocked.
	PlanID    string     `json:"planId,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// Policy says whether this server may deploy it, and with approval.
	Policy      *Decision  `json:"policy,omitempty"`
	Plan        *plan.Plan `json:"plan,omitempty"`
	EvidenceDir string     `json:"evidenceDir,omitempty"`
}

// CheckOutput is the same plan, checks and evidenceDir as `kship check -o json`.
type CheckOutput struct {
	// Verdict is "passed" (nothing blocks), "blocked", or "refused"/"error".
	Verdict     string                   `json:"verdict"`
	ExitCode    int                      `json:"exitCode"`
	Message     string                   `json:"message"`
	Plan        *plan.Plan               `json:"plan,omitempty"`
	Checks      *evidence.ChecksDocument `json:"checks,omitempty"`
	EvidenceDir string                   `json:"evidenceDir,omitempty"`
}

// failure classifies an error of a tool: a guardrail's refusal (exit 2)
// or bad input (exit 1), with its words.
func failure(err error) (string, int) {
	var r *Refusal
	if errors.As(err, &r) {
		return "refused", exitcode.Refused
	}
	return "error", exitcode.Input
}

// prepare runs release's Plan (or Plan + Prepare) on a client's release file.
func (s *Server) prepare(ctx context.Context, file, ns string, checks bool, sink *progress) (*release.Prepared, string, error) {
	abs, _, err := s.releaseFile(file)
	if err != nil {
		return nil, "", err
	}
	c, err := s.cluster(ctx)
	if err != nil {
		return nil, "", err
	}
	opts := release.PrepareOptions{ReleaseFile: abs, Clients: c, EvidenceDir: s.o.EvidenceDir, Namespace: ns, Now: s.o.Now,
		ToolVersion: s.o.Version, ReadHistory: true, Catalog: s.o.Catalog}
	if sink != nil {
		opts.Sink = sink
	}
	var p *release.Prepared
	if checks {
		p, err = release.Prepare(ctx, opts)
	} else {
		p, err = release.PlanOnly(ctx, opts)
	}
	if p != nil {
		s.mask.learn(p.Objects)
	}
	return p, abs, err
}

func (s *Server) plan(ctx context.Context, req *sdk.CallToolRequest, in PlanInput) (*sdk.CallToolResult, PlanOutput, error) {
	prog := newProgress(ctx, req)
	p, abs, err := s.prepare(ctx, in.File, in.Namespace, false, prog)
	prog.stop()
	if err != nil {
		out := PlanOutput{Message: err.Error()}
		out.Verdict, out.ExitCode = failure(err)
		return result(out.ExitCode, out.Message, out), out, nil
	}
	out := PlanOutput{Verdict: "planned", Plan: p.Plan, EvidenceDir: p.EvidenceDir}
	if n := len(p.Plan.Failed()); n > 0 {
		out.Verdict, out.ExitCode = "blocked", exitcode.Refused
		out.Message = fmt.Sprintf("the API server refused %d objects in the dry-run; deploy would stop before any write, so no plan id is given", n)
		return result(out.ExitCode, out.Message, out), out, nil
	}
	d := s.decide(p)
	out.Policy = &d
	rec, err := s.record(abs, p, d)
	if err != nil {
		out.Verdict, out.ExitCode, out.Message = "error", exitcode.Input, err.Error()
		return result(out.ExitCode, out.Message, out), out, nil
	}
	out.PlanID, out.ExpiresAt = rec.ID, &rec.Expires
	out.Message = fmt.Sprintf("plan %s of release %s in namespace %s: %s; %s", rec.ID, rec.Release, rec.Namespace, countsLine(p.Plan), d.Reason)
	return result(0, out.Message, out), out, nil
}

// decide is the policy's decision on a prepared release and every object
// its plan touches.
func (s *Server) decide(p *release.Prepared) Decision {
	refs := make([]manifest.Ref, 0, len(p.Plan.Changes))
	for _, c := range p.Plan.Changes {
		refs = append(refs, c.Ref)
	}
	return s.o.Policy.DecideObjects(s.o.Context, p.Release.Spec.Namespace, p.Release.Metadata.Name, refs)
}

// record signs and keeps a deploy plan.
func (s *Server) record(file string, p *release.Prepared, d Decision) (*PlanRecord, error) {
	now := s.o.Now()
	rec := &PlanRecord{Kind: PlanDeploy, Release: p.Release.Metadata.Name, Namespace: p.Release.Spec.Namespace, Context: s.o.Context,
		Cluster: p.Plan.Cluster, File: file, Digest: s.planDigest(s.o.Context, p),
		Created: now, Expires: now.Add(s.o.Policy.PlanTTL()), ApprovalRequired: d.ApprovalRequired,
		Summary: s.mask.String(evidence.NewRedactor(p.Objects).String(evidence.PlanText(p.Plan)))}
	return rec, s.o.State.SavePlan(rec)
}

func countsLine(p *plan.Plan) string {
	return fmt.Sprintf("%d to create, %d to update, %d unchanged, %d to prune, %d risks",
		p.Counts[plan.ActionCreate], p.Counts[plan.ActionUpdate], p.Counts[plan.ActionUnchanged], p.Counts[plan.ActionPrune], len(p.Risks))
}

func (s *Server) check(ctx context.Context, req *sdk.CallToolRequest, in PlanInput) (*sdk.CallToolResult, CheckOutput, error) {
	prog := newProgress(ctx, req)
	p, _, err := s.prepare(ctx, in.File, in.Namespace, true, prog)
	prog.stop()
	if err != nil && p == nil {
		out := CheckOutput{Message: err.Error()}
		out.Verdict, out.ExitCode = failure(err)
		return result(out.ExitCode, out.Message, out), out, nil
	}
	doc := evidence.NewChecksDocument(p.Report, evidence.CheckInfo{Release: p.Release.Metadata.Name, Namespace: p.Release.Spec.Namespace})
	out := CheckOutput{Verdict: "passed", Plan: p.Plan, Checks: &doc, EvidenceDir: p.EvidenceDir,
		Message: fmt.Sprintf("nothing blocks: %d passed, %d warnings", doc.Counts["pass"], doc.Counts["warn"])}
	if err != nil {
		out.Verdict, out.ExitCode, out.Message = "error", exitcode.Input, err.Error()
	} else if doc.Blocking {
		out.Verdict, out.ExitCode = "blocked", exitcode.Refused
		out.Message = fmt.Sprintf("release %s is blocked: %d checks failed (call explain with evidenceDir %s for each, with file and line)", doc.Release, doc.Counts["fail"], p.EvidenceDir)
	}
	return result(out.ExitCode, out.Message, out), out, nil
}
