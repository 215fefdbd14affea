package mcp

import (
	"context"
	"fmt"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
)

// RollbackInput is a rollback or drill: first without planId (nothing is
// changed, a planId is returned), then with it.
type RollbackInput struct {
	Release    string `json:"release" jsonschema:"the release's name"`
	Namespace  string `json:"namespace" jsonschema:"the release's namespace"`
	ToRevision int    `json:"toRevision,omitempty" jsonschema:"the revision to restore (default: the newest earlier deployed revision that differs)"`
	PlanID     string `json:"planId,omitempty" jsonschema:"the planId the first call returned; without it nothing is changed"`
	Approval   string `json:"approval,omitempty" jsonschema:"the one-time code a human made with kship approve PLAN-ID, when the policy requires approval"`
}

// DrillInput is a drill: first without planId, then with it. A drill goes
// back to the previous revision and forward again, so it takes no revision.
type DrillInput struct {
	Release   string `json:"release" jsonschema:"the release's name"`
	Namespace string `json:"namespace" jsonschema:"the release's namespace"`
	PlanID    string `json:"planId,omitempty" jsonschema:"the planId the first call returned; without it nothing is changed"`
	Approval  string `json:"approval,omitempty" jsonschema:"the one-time code a human made with kship approve PLAN-ID, when the policy requires approval"`
}

// RollbackOutput is either the plan of a rollback (planId, the history it
// is bound to) or its outcome, as `kship rollback -o json`.
type RollbackOutput struct {
	DeployOutput
	ExpiresAt *time.Time             `json:"expiresAt,omitempty"`
	Policy    *Decision              `json:"policy,omitempty"`
	History   []release.RevisionInfo `json:"history,omitempty"`
}

func (s *Server) rollback(ctx context.Context, req *sdk.CallToolRequest, in RollbackInput) (*sdk.CallToolResult, RollbackOutput, error) {
	return s.restore(ctx, req, in, PlanRollback)
}

func (s *Server) drill(ctx context.Context, req *sdk.CallToolRequest, in DrillInput) (*sdk.CallToolResult, RollbackOutput, error) {
	return s.restore(ctx, req, RollbackInput{Release: in.Release, Namespace: in.Namespace, PlanID: in.PlanID, Approval: in.Approval}, PlanDrill)
}

func (s *Server) restore(ctx context.Context, req *sdk.CallToolRequest, in RollbackInput, kind string) (*sdk.CallToolResult, RollbackOutput, error) {
	out := RollbackOutput{}
	out.PlanID = in.PlanID
	refused := func(reason string) (*sdk.CallToolResult, RollbackOutput, error) {
		out.Outcome = refusedOutcome(in.Release, in.Namespace, reason, s.o.Now())
		out.ExitCode, out.Message = exitcode.Refused, out.Outcome.Summary
		return result(out.ExitCode, out.Message, out), out, nil
	}
	if in.Release == "" || in.Namespace == "" {
		return refused("give release and namespace")
	}
	d := s.o.Policy.Decide(s.o.Context, in.Namespace, in.Release)
	if !d.Allowed {
		return refused(d.Reason)
	}
	c, err := s.cluster(ctx)
	if err != nil {
		return refused(err.Error())
	}
	revs, err := release.History(ctx, c, in.Namespace, in.Release)
	if err != nil {
		return refused(err.Error())
	}
	if len(revs) == 0 {
		return refused(fmt.Sprintf("release %s has no revisions in namespace %s", in.Release, in.Namespace))
	}
	if d, err = s.decideRevisions(ctx, c, in.Namespace, in.Release); err != nil {
		return refused(err.Error())
	}
	if !d.Allowed {
		return refused(d.Reason)
	}
	digest := s.historyDigest(kind, s.o.Context, in.Namespace, in.Release, in.ToRevision, revs)
	if in.PlanID == "" {
		return s.restorePlan(in, kind, d, digest, revs, &out)
	}
	rec, err := s.planFor(in.PlanID, kind)
	if err != nil {
		return refused(err.Error())
	}
	if rec.Release != in.Release || rec.Namespace != in.Namespace || rec.ToRevision != in.ToRevision {
		return refused(fmt.Sprintf("plan %s is for release %s in namespace %s (toRevision %d), not this one", rec.ID, rec.Release, rec.Namespace, rec.ToRevision))
	}
	if rec.Digest != digest {
		return refused(fmt.Sprintf("plan %s is stale: the release's history changed since it was made (newest revision now %d, %s); call %s again without planId for a new plan",
			rec.ID, revs[0].Number, revs[0].Outcome, kind))
	}
	if d.ApprovalRequired {
		code, ask, err := s.approval(req, rec, in.Approval)
		if ask != nil {
			return ask, RollbackOutput{}, nil
		}
		if err == nil {
			err = s.o.State.UseApproval(code, rec)
		}
		if err != nil {
			return refused(err.Error())
		}
	}
	prog := newProgress(ctx, req)
	o, err := release.Rollback(ctx, release.RollbackOptions{Name: in.Release, Namespace: in.Namespace, ToRevision: in.ToRevision,
		Drill: kind == PlanDrill, RunOptions: s.runOptions(c, prog)})
	prog.stop()
	if err != nil && o == nil {
		return refused(err.Error())
	}
	_, _, _ = s.finished(o, err, prog, &out.DeployOutput)
	return result(out.ExitCode, out.Message, out), out, nil
}

// decideRevisions is the policy's decision on a rollback or drill: it may
// restore, prune or re-apply the objects of any kept revision, so every one
// of them must be within the policy.
func (s *Server) decideRevisions(ctx context.Context, c *kube.Clients, ns, name string) (Decision, error) {
	revs, err := record.NewReader(c.Typed).List(ctx, ns, name)
	if err != nil {
		return Decision{}, fmt.Errorf("release %s: read its revisions in namespace %s: %w", name, ns, err)
	}
	seen := map[manifest.Ref]bool{}
	var refs []manifest.Ref
	for _, r := range revs {
		for _, o := range r.Objects {
			if ref := o.Ref(); !seen[ref] {
				seen[ref] = true
				refs = append(refs, ref)
			}
		}
	}
	return s.o.Policy.DecideObjects(s.o.Context, ns, name, refs), nil
}

// restorePlan records a rollback or drill plan bound to the history.
func (s *Server) restorePlan(in RollbackInput, kind string, d Decision, digest string, revs []release.RevisionInfo, out *RollbackOutput) (*sdk.CallToolResult, RollbackOutput, error) {
	now := s.o.Now()
	what := "the newest earlier deployed revision that differs from the current one"
	if in.ToRevision > 0 {
		what = fmt.Sprintf("revision %d", in.ToRevision)
	}
	summary := fmt.Sprintf("%s of release %s in namespace %s (context %s): restore %s; newest revision now %d (%s: %s)",
		kind, in.Release, in.Namespace, s.o.Context, what, revs[0].Number, revs[0].Outcome, revs[0].Message)
	if kind == PlanDrill {
		summary = fmt.Sprintf("rollback drill of release %s in namespace %s (context %s): roll back to the previous revision, verify, roll forward to revision %d again, verify",
			in.Release, in.Namespace, s.o.Context, revs[0].Number)
	}
	rec := &PlanRecord{Kind: kind, Release: in.Release, Namespace: in.Namespace, Context: s.o.Context, ToRevision: in.ToRevision,
		Digest: digest, Created: now, Expires: now.Add(s.o.Policy.PlanTTL()), ApprovalRequired: d.ApprovalRequired, Summary: s.mask.String(summary)}
	if err := s.o.State.SavePlan(rec); err != nil {
		out.ExitCode, out.Message = exitcode.Input, err.Error()
		return result(out.ExitCode, out.Message, *out), *out, nil
	}
	out.PlanID, out.ExpiresAt, out.Policy, out.History = rec.ID, &rec.Expires, &d, revs
	out.Message = fmt.Sprintf("plan %s: %s; nothing was changed: call %s again with planId %s to do it (%s)", rec.ID, summary, kind, rec.ID, d.Reason)
	return result(0, out.Message, *out), *out, nil
}
