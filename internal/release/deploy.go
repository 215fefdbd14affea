// Package release runs kship's workflow: Plan → Prepare → Rollout → Verify
// → Stabilize, and Rollback on any trigger. It runs the stages in order and
// does nothing else: the work is in the stage packages (manifest, validate,
// plan, apply, wait, smoke, gate, record, evidence).
package release

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kship/kship/internal/apply"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/plan"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/validate"
)

// DeployOptions configure one `kship deploy`.
type DeployOptions struct {
	RunOptions
	// ReleaseFile is the path of kship.yaml.
	ReleaseFile string
	// Namespace overrides spec.namespace when set.
	Namespace string
	// ForceConflicts takes over the fields another field manager owns.
	ForceConflicts bool
	// Admit, when set, is asked after Plan and Prepare passed, under the
	// lock and before the first write: an error refuses the release
	// (exit 2, nothing applied) with its message. The MCP server checks
	// with it that the plan it showed still matches what deploy applies.
	Admit func(*Prepared) error
}

// Deploy runs the whole workflow for one release file. The error is
// non-nil only for bad input or an unreachable cluster (exit 1); every
// other result, refusals included, is an Outcome.
func Deploy(ctx context.Context, o DeployOptions) (*event.Outcome, error) {
	r := newRun(o.RunOptions)
	r.forceConflicts = o.ForceConflicts
	ctx, stop := r.watchInterrupts(ctx)
	defer stop()
	return r.deploy(ctx, o)
}

// attempt is the state of one deploy attempt.
type attempt struct {
	rel      *config.Release
	prep     *Prepared
	rev      *record.Revision
	previous *record.Revision // last deployed revision, nil for a first release
	revs     []record.Revision
	saved    bool // rev is recorded in the cluster
	dir      string
	out      *event.Outcome
	steps    evidence.RollbackSteps
	drill    *evidence.Drill // set by a rollback drill
	// mechanism and strategy are the release file's, from the catalog.
	mechanism Mechanism
	strategy  Strategy
	// from and to are the objects the attempt goes from and to, for the
	// images before and after; set by a rollback (a deploy's are its
	// previous revision's and its own).
	from, to []manifest.Object
	// resume is where kship promote continues a paused revision (nil for
	// a deploy).
	resume *rollout.Pause
}

// newAttempt starts an attempt on release ns/name that a command about
// its revisions runs (kship rollback, promote, abort).
func (r *run) newAttempt(ns, name string) *attempt {
	return &attempt{out: &event.Outcome{Release: name, Namespace: ns, StartedAt: r.now()}}
}

// kind is the evidence kind of an attempt that runs execute.
func (a *attempt) kind() string {
	if a.resume != nil {
		return evidence.KindPromote
	}
	return evidence.KindDeploy
}

func (r *run) deploy(ctx context.Context, o DeployOptions) (*event.Outcome, error) {
	rel, err := config.Load(o.ReleaseFile)
	if err != nil {
		return nil, err
	}
	ns := rel.Spec.Namespace
	if o.Namespace != "" {
		ns = o.Namespace
	}
	r.red.AddRelease(rel)
	a := &attempt{rel: rel, out: &event.Outcome{Release: rel.Metadata.Name, Namespace: ns, StartedAt: r.now()}}
	nsObj, err := apply.Namespace(ctx, r.clients, ns)
	if err != nil {
		return nil, err
	}
	exists := nsObj != nil
	var unlock func()
	if exists {
		ctx, unlock, err = r.hold(ctx, a, r.lockAndRead)
		if err != nil {
			return r.refusedOrErr(ctx, a, err)
		}
		defer unlock()
		if why := pausedRefusal(a.revs, "deploy"); why != "" {
			return r.refusedOrErr(ctx, a, &RefusedError{Reason: why})
		}
	}
	err = r.runPrepare(r.interruptible(ctx), a, o)
	if in := r.firstInterrupt(); in != nil {
		err = interruptedBeforeWrite(in)
	}
	if err != nil {
		return r.refusedOrErr(ctx, a, err)
	}
	if !exists {
		ctx, unlock, err = r.hold(ctx, a, r.createNamespaceAndLock)
		if err != nil {
			return r.refusedOrErr(ctx, a, err)
		}
		defer unlock()
	}
	return r.execute(ctx, a)
}

// interruptedBeforeWrite is the refusal of a run interrupted before its
// first write.
func interruptedBeforeWrite(in *Interrupt) error {
	return &RefusedError{Reason: in.String() + ", before the first write: nothing was applied"}
}

// lockAndRead takes the lock, then reads the history and marks revisions
// left pending by dead runs.
func (r *run) lockAndRead(ctx context.Context, a *attempt) (*record.Lease, error) {
	lease, err := r.lock(ctx, a.out.Namespace, a.out.Release)
	if err != nil {
		return nil, err
	}
	revs, err := r.hist.List(ctx, a.out.Namespace, a.out.Release)
	if err == nil {
		err = r.markInterrupted(ctx, revs, lease)
	}
	if err != nil {
		r.unlock(ctx, lease)
		return nil, fmt.Errorf("release %s/%s history: %w", a.out.Namespace, a.out.Release, err)
	}
	a.revs = revs
	a.previous = record.Restorable(revs)
	return lease, nil
}

// runPrepare runs Plan + Prepare into the attempt's evidence folder and
// refuses the release when a blocking check failed or the strategy is not
// supported.
func (r *run) runPrepare(ctx context.Context, a *attempt, o DeployOptions) error {
	number := record.NextNumber(a.revs)
	a.dir = evidence.Folder(o.EvidenceDir, a.out.Release, number, a.out.StartedAt)
	a.out.EvidenceDir = a.dir
	popts := PrepareOptions{Release: a.rel, ReleaseFile: o.ReleaseFile, Clients: r.clients, EvidenceDir: o.EvidenceDir, BundleDir: a.dir,
		Namespace: o.Namespace, Previous: record.Live(a.revs), Now: r.now, Sink: r.rec, ForceConflicts: o.ForceConflicts,
		Catalog: r.catalog, ToolVersion: o.Version, ConfigKey: record.ConfigKey(a.revs)}
	if a.previous != nil {
		popts.PreviousRevision = a.previous.Number
	}
	prep, err := r.prepare(ctx, popts)
	if err != nil {
		return err
	}
	a.prep, a.rel = prep, prep.Release
	// The rollback re-applies the previous revision and earlier ones may be
	// live: their Secrets are masked as well as the new revision's.
	r.red.AddObjects(prep.Objects, record.Live(a.revs), record.ObjectsOf(a.previous))
	r.red.AddRelease(prep.Release)
	if a.previous != nil {
		r.red.AddReleaseFile(a.previous.ReleaseFile)
	}
	if prep.Report != nil && prep.Report.Blocking() {
		return &RefusedError{Reason: fmt.Sprintf("a blocking check failed: nothing was applied; see %s%s", a.dir, firstBlocking(prep.Report, 3))}
	}
	if o.Admit != nil {
		if err := o.Admit(prep); err != nil {
			return &RefusedError{Reason: err.Error()}
		}
	}
	if a.mechanism, a.strategy, err = r.catalog.seams(a.rel, r.env()); err != nil {
		return err
	}
	a.rev = &record.Revision{Release: a.out.Release, Namespace: a.out.Namespace, Number: number, Objects: prep.Objects,
		Adopted: adopted(prep.Plan, a.revs), ConfigKey: prep.ConfigKey}
	return nil
}

// adopted lists the objects the plan found already in the cluster that no
// revision of the release ever applied: kship did not create them, so a
// rollback must not delete them.
func adopted(p *plan.Plan, revs []record.Revision) []manifest.Ref {
	if p == nil {
		return nil
	}
	known := map[manifest.Ref]bool{}
	for _, rev := range revs {
		for _, o := range rev.Objects {
			known[o.Ref()] = true
		}
	}
	var out []manifest.Ref
	for _, c := range p.Changes {
		if (c.Action == plan.ActionUpdate || c.Action == plan.ActionUnchanged) && !known[c.Ref] {
			out = append(out, c.Ref)
		}
	}
	return out
}

// refusedOrErr turns a refusal into an exit-2 Outcome with its evidence;
// other errors are returned as they are.
func (r *run) refusedOrErr(ctx context.Context, a *attempt, err error) (*event.Outcome, error) {
	var refused *RefusedError
	if !errors.As(err, &refused) {
		return nil, err
	}
	// The decision and the summary say the same words, so a view that
	// printed the one says them once (view.View.Summary).
	a.out.Verdict, a.out.Summary = event.Refused, "refused, nothing applied: "+refused.Reason
	r.decide(event.StagePrepare, "%s", a.out.Summary)
	if a.dir == "" {
		a.out.EvidenceDir = ""
	}
	return r.finish(ctx, a, evidence.KindDeploy)
}

// createNamespaceAndLock creates the release namespace of a first release
// (after every blocking check passed) and takes the lock in it.
func (r *run) createNamespaceAndLock(ctx context.Context, a *attempt) (*record.Lease, error) {
	if err := apply.CreateNamespace(ctx, r.clients, a.out.Namespace); err != nil {
		return nil, err
	}
	r.decide(event.StagePrepare, "created namespace %s for the release's state", a.out.Namespace)
	return r.lockAndRead(ctx, a)
}

// firstBlocking names up to n blocking checks, so a refusal says why
// without opening the checklist ("" when none failed).
func firstBlocking(rep *validate.Report, n int) string {
	var msgs []string
	for _, c := range rep.Checks {
		if c.Status != validate.Fail {
			continue
		}
		if len(msgs) == n {
			msgs = append(msgs, fmt.Sprintf("and %d more", rep.Count(validate.Fail)-n))
			break
		}
		msgs = append(msgs, c.Message)
	}
	if len(msgs) == 0 {
		return ""
	}
	return ": " + strings.Join(msgs, "; ")
}
