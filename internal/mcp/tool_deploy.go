package mcp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/plan"
	"github.com/kship/kship/internal/release"
)

// DeployInput is the plan to deploy and, for a protected target, the
// human's approval.
type DeployInput struct {
	PlanID   string `json:"planId,omitempty" jsonschema:"the planId the plan tool returned; required: kship deploys only what was planned, and says so when it is missing"`
	Approval string `json:"approval,omitempty" jsonschema:"the one-time code a human made with kship approve PLAN-ID, when the policy requires approval"`
}

// DeployOutput is the attempt's outcome (the outcome line of `kship deploy
// -o json`), with the key measurements and evidence files.
type DeployOutput struct {
	Outcome  *event.Outcome `json:"outcome"`
	ExitCode int            `json:"exitCode"`
	Message  string         `json:"message"`
	PlanID   string         `json:"planId,omitempty"`
	// NewPlanID and NewPlan are the fresh plan when the given one was stale.
	NewPlanID     string        `json:"newPlanId,omitempty"`
	NewPlan       *plan.Plan    `json:"newPlan,omitempty"`
	Measurements  []Measurement `json:"measurements,omitempty"`
	EvidenceDir   string        `json:"evidenceDir,omitempty"`
	EvidenceFiles []string      `json:"evidenceFiles,omitempty"`
}

func (s *Server) deploy(ctx context.Context, req *sdk.CallToolRequest, in DeployInput) (*sdk.CallToolResult, DeployOutput, error) {
	out := DeployOutput{PlanID: in.PlanID}
	refused := func(name, ns, reason string) (*sdk.CallToolResult, DeployOutput, error) {
		out.Outcome = refusedOutcome(name, ns, reason, s.o.Now())
		out.ExitCode, out.Message = exitcode.Refused, out.Outcome.Summary
		return result(out.ExitCode, out.Message, out), out, nil
	}
	if in.PlanID == "" {
		return refused("", "", "deploy needs a planId: call plan with the release file, review its diff, then deploy with the planId it returns (kship deploys only what was planned)")
	}
	rec, err := s.planFor(in.PlanID, PlanDeploy)
	if err != nil {
		return refused("", "", err.Error())
	}
	// The namespace's decision first, and a protected plan's approval
	// (checked, not yet used) before the cluster is asked: a missing,
	// reused or misdirected code is refused whatever changed since.
	d := s.o.Policy.Decide(rec.Context, rec.Namespace, rec.Release)
	if !d.Allowed {
		return refused(rec.Release, rec.Namespace, d.Reason)
	}
	code := ""
	ask := func() *sdk.CallToolResult {
		c, res, err := s.approval(req, rec, in.Approval)
		if res == nil && err != nil {
			res, _, _ = refused(rec.Release, rec.Namespace, err.Error())
		}
		code = c
		return res
	}
	if d.ApprovalRequired || rec.ApprovalRequired {
		if res := ask(); res != nil {
			return res, out, nil
		}
	}
	fresh, _, err := s.prepare(ctx, rec.File, rec.Namespace, false, nil)
	if err != nil {
		return refused(rec.Release, rec.Namespace, fmt.Sprintf("plan %s cannot be checked against the cluster: %v", rec.ID, err))
	}
	// Then every object the release would touch.
	d = s.decide(fresh)
	if s.planDigest(rec.Context, fresh) != rec.Digest {
		return s.stale(rec, fresh, d, &out)
	}
	if !d.Allowed {
		return refused(rec.Release, rec.Namespace, d.Reason)
	}
	if d.ApprovalRequired {
		if code == "" {
			if res := ask(); res != nil {
				return res, out, nil
			}
		}
		if err := s.o.State.UseApproval(code, rec); err != nil {
			return refused(rec.Release, rec.Namespace, err.Error())
		}
	}
	c, err := s.cluster(ctx)
	if err != nil {
		return refused(rec.Release, rec.Namespace, err.Error())
	}
	prog := newProgress(ctx, req)
	o, err := release.Deploy(ctx, release.DeployOptions{ReleaseFile: rec.File, Namespace: rec.Namespace, RunOptions: s.runOptions(c, prog),
		Admit: func(p *release.Prepared) error {
			s.mask.learn(p.Objects)
			if s.planDigest(rec.Context, p) != rec.Digest {
				return fmt.Errorf("plan %s is stale: the cluster or the release changed between the check and the deploy; call plan again", rec.ID)
			}
			return nil
		}})
	prog.stop()
	if err != nil && o == nil {
		out.ExitCode, out.Message = exitcode.Input, err.Error()
		out.Outcome = &event.Outcome{Release: rec.Release, Namespace: rec.Namespace, ExitCode: exitcode.Input, Summary: err.Error()}
		return result(out.ExitCode, out.Message, out), out, nil
	}
	return s.finished(o, err, prog, &out)
}

// finished fills a deploy's or rollback's output from its outcome.
func (s *Server) finished(o *event.Outcome, err error, prog *progress, out *DeployOutput) (*sdk.CallToolResult, DeployOutput, error) {
	out.Outcome, out.ExitCode, out.Message = o, o.ExitCode, summaryOf(o)
	if err != nil { // the attempt could not finish recording its result
		out.ExitCode = exitcode.RollbackFailed
		out.Message += "; and: " + err.Error()
	}
	out.Measurements = prog.measurements()
	out.EvidenceDir = o.EvidenceDir
	out.EvidenceFiles = bundleFiles(o.EvidenceDir)
	return result(out.ExitCode, out.Message, *out), *out, nil
}

// stale refuses a stale plan with the new diff, under a new plan id.
func (s *Server) stale(rec *PlanRecord, fresh *release.Prepared, d Decision, out *DeployOutput) (*sdk.CallToolResult, DeployOutput, error) {
	reason := fmt.Sprintf("plan %s is stale: the release file, the rendered objects or the live objects changed since it was made, so what it showed is not what deploy would do", rec.ID)
	if nr, err := s.record(rec.File, fresh, d); err == nil {
		out.NewPlanID, out.NewPlan = nr.ID, fresh.Plan
		reason += fmt.Sprintf("; the new plan is %s (%s): review its diff (newPlan) and deploy it%s", nr.ID, countsLine(fresh.Plan),
			map[bool]string{true: " with a new approval (kship approve " + nr.ID + ")", false: ""}[d.ApprovalRequired])
	}
	out.Outcome = refusedOutcome(rec.Release, rec.Namespace, reason, s.o.Now())
	out.Outcome.EvidenceDir = fresh.EvidenceDir
	out.ExitCode, out.Message, out.EvidenceDir = exitcode.Refused, out.Outcome.Summary, fresh.EvidenceDir
	return result(out.ExitCode, out.Message, *out), *out, nil
}

// planFor loads a plan record of kind that is still valid on this server.
func (s *Server) planFor(id, kind string) (*PlanRecord, error) {
	rec, err := s.o.State.LoadPlan(id)
	if err != nil {
		return nil, err
	}
	if rec.Kind != kind {
		return nil, fmt.Errorf("plan %s is a %s plan, not a %s plan", id, rec.Kind, kind)
	}
	if now := s.o.Now(); now.After(rec.Expires) {
		return nil, fmt.Errorf("plan %s expired at %s (plans are good for %s); plan again", id, rec.Expires.UTC().Format(time.RFC3339), s.o.Policy.PlanTTL())
	}
	if rec.Context != s.o.Context {
		return nil, fmt.Errorf("plan %s was made for kubeconfig context %s; this server works in %s", id, rec.Context, s.o.Context)
	}
	return rec, nil
}

// approval returns the approval code of a protected change: the one the
// client passed, or one the human gives through elicitation when the
// client can ask; a client that cannot ask is refused, never allowed.
func (s *Server) approval(req *sdk.CallToolRequest, rec *PlanRecord, given string) (string, *sdk.CallToolResult, error) {
	how := fmt.Sprintf("a human runs `kship approve %s` in a terminal on the server's host (it shows the plan and prints a one-time code) and the code is passed as approval", rec.ID)
	if given != "" {
		return given, nil, s.o.State.CheckApproval(given, rec)
	}
	if resp, ok := req.Params.InputResponses["approval"]; ok {
		er, _ := resp.(*sdk.ElicitResult)
		if er == nil || er.Action != "accept" {
			return "", nil, fmt.Errorf("%s of release %s in namespace %s needs a human's approval, and none was given: %s", rec.Kind, rec.Release, rec.Namespace, how)
		}
		code, _ := er.Content["code"].(string)
		return code, nil, s.o.State.CheckApproval(code, rec)
	}
	if canElicit(req.Session) {
		return "", &sdk.CallToolResult{InputRequests: sdk.InputRequestMap{"approval": &sdk.ElicitParams{
			Message: fmt.Sprintf("kship: %s of release %s in namespace %s (plan %s) needs your approval. Run `kship approve %s` in a terminal on the server's host, review the plan it shows, and paste the code it prints.",
				rec.Kind, rec.Release, rec.Namespace, rec.ID, rec.ID),
			RequestedSchema: &jsonschema.Schema{Type: "object", Required: []string{"code"},
				Properties: map[string]*jsonschema.Schema{"code": {Type: "string", Description: "the code kship approve printed (ka-…)"}}},
		}}}, nil
	}
	return "", nil, fmt.Errorf("%s of release %s in namespace %s needs a human's approval: %s (this client cannot ask its user, so the change is refused)", rec.Kind, rec.Release, rec.Namespace, how)
}

func canElicit(ss *sdk.ServerSession) bool {
	if ss == nil {
		return false
	}
	ip := ss.InitializeParams()
	return ip != nil && ip.Capabilities != nil && ip.Capabilities.Elicitation != nil
}

// bundleFiles lists the files of an evidence folder.
func bundleFiles(dir string) []string {
	if dir == "" {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}
