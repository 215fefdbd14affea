package release

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// fail handles a trigger during a deploy: roll back automatically, or with
// the manual method stop and say exactly what to run.
func (r *run) fail(ctx context.Context, a *attempt, trig *trigger, baseline map[string]gate.Measurement) {
	a.out.Trigger = trig.reason
	r.decide(trig.stage, "rollback trigger: %s", trig.reason)
	if a.rel.Spec.Rollback.Method == config.RollbackManual {
		a.rev.Outcome = OutcomeFailed
		a.rev.Message = "failed, not rolled back (rollback.method: manual): " + trig.reason
		a.out.Verdict = RollbackFailed
		a.out.Summary = fmt.Sprintf("revision %d failed and was NOT rolled back (rollback.method: manual); roll back with: %s", a.rev.Number, a.steps.Command)
		a.out.ManualSteps = manualSteps(a.out.EvidenceDir, a.steps)
		r.decide(trig.stage, "rollback.method is manual: not rolling back")
		return
	}
	start, first := r.now(), len(r.rec.Events())
	number := a.rev.Number + 1
	in := restoreInput{ns: a.out.Namespace, name: a.out.Release, from: a.rev, fromRel: a.rel, target: a.previous,
		live: union(a.rev.Objects, liveObjects(a.revs)), baseline: baseline, number: number,
		dir: evidence.Folder(r.evidenceRoot, a.out.Release, number, start)}
	res := r.restore(ctx, in)
	r.recordRollback(ctx, a, in, res)
	if res.revision != nil {
		r.writeRollbackBundle(ctx, a, in, res, first, start)
	}
}

// recordRollback sets the failed revision's outcome and the Outcome from
// a rollback's result.
func (r *run) recordRollback(ctx context.Context, a *attempt, in restoreInput, res restoreResult) {
	for _, c := range res.checked {
		a.out.Checked = append(a.out.Checked, "after rollback: "+c)
	}
	if res.err != nil {
		a.rev.Outcome = OutcomeFailed
		a.rev.Message = fmt.Sprintf("failed (%s) and the rollback failed: %v", a.out.Trigger, res.err)
		a.out.Verdict = RollbackFailed
		a.out.Summary = fmt.Sprintf("revision %d failed and its rollback FAILED: %v", a.rev.Number, res.err)
		a.out.ManualSteps = manualSteps(a.out.EvidenceDir, a.steps)
		return
	}
	a.rev.Outcome = OutcomeRolledBack
	a.out.Verdict = RolledBack
	if res.revision == nil {
		a.rev.Message = "failed and rolled back: the release was removed (it had no previous revision)"
		a.out.Summary = fmt.Sprintf("revision %d failed; it was the first revision, so its objects were deleted", a.rev.Number)
		return
	}
	a.out.RollbackRevision, a.out.RestoredRevision = res.revision.Number, in.target.Number
	if res.unverified != "" {
		// Exit 4: the release failed and nothing proves the rollback
		// worked; the restored revision is recorded as deployed (it is
		// what runs), marked unverified.
		a.out.Verdict = RollbackFailed
		a.rev.Message = fmt.Sprintf("failed and rolled back to revision %d (recorded as revision %d); the rollback was NOT verified", in.target.Number, res.revision.Number)
		a.out.Summary = fmt.Sprintf("revision %d failed and was rolled back to revision %d (recorded as revision %d), applied and ready, but the rollback could NOT be verified: %s",
			a.rev.Number, in.target.Number, res.revision.Number, res.unverified)
		a.out.ManualSteps = manualSteps(a.out.EvidenceDir, a.steps)
		return
	}
	a.rev.Message = fmt.Sprintf("failed and rolled back to revision %d (recorded as revision %d)", in.target.Number, res.revision.Number)
	a.out.Summary = fmt.Sprintf("revision %d failed and was rolled back to revision %d (recorded as revision %d); the rollback was verified",
		a.rev.Number, in.target.Number, res.revision.Number)
}

// writeRollbackBundle writes the rollback revision's own evidence: the
// events from the trigger on.
func (r *run) writeRollbackBundle(ctx context.Context, a *attempt, in restoreInput, res restoreResult, first int, start time.Time) {
	events, _ := r.rec.Since(first)
	verdict, summary := Verified, fmt.Sprintf("rollback of revision %d to revision %d, verified", a.rev.Number, in.target.Number)
	switch {
	case res.err != nil:
		verdict, summary = RollbackFailed, fmt.Sprintf("rollback of revision %d to revision %d FAILED: %v", a.rev.Number, in.target.Number, res.err)
	case res.unverified != "":
		verdict, summary = Unverified, fmt.Sprintf("rollback of revision %d to revision %d, applied and ready, NOT verified: %s", a.rev.Number, in.target.Number, res.unverified)
	}
	b := &evidence.Bundle{Kind: evidence.KindRollback, Outcome: Outcome{Release: a.out.Release, Namespace: a.out.Namespace,
		Revision: res.revision.Number, StartedAt: start, FinishedAt: r.now(), Verdict: verdict, ExitCode: verdict.ExitCode(),
		Summary: summary, Trigger: a.out.Trigger, Checked: res.checked, RestoredRevision: in.target.Number, EvidenceDir: in.dir}, Rollback: a.steps, Events: events}
	digest, err := evidence.Write(in.dir, b, r.red)
	if err != nil {
		r.emit(event.StageRollback, event.TypeLog, "", "write rollback evidence: "+err.Error(), nil)
		return
	}
	res.revision.EvidenceDigest = digest
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := r.hist.Save(ctx, res.revision); err != nil {
		r.emit(event.StageRollback, event.TypeLog, "", fmt.Sprintf("record the evidence digest of revision %d: %v", res.revision.Number, err), nil)
	}
}

// manualSteps is what to do by hand when kship did not (or could not) roll
// back.
func manualSteps(dir string, st evidence.RollbackSteps) string {
	var s strings.Builder
	s.WriteString("roll back with kship:\n  " + st.Command + "\n")
	if dir != "" {
		fmt.Fprintf(&s, "or by hand with kubectl: see %s/%s\n", dir, evidence.RollbackFile)
	}
	return s.String()
}

// rollbackSteps are the steps to roll rev back to target (nil: remove).
func (r *run) rollbackSteps(ns, name string, rev, target *record.Revision, live []manifest.Object, downs []string) evidence.RollbackSteps {
	all := without(union(rev.Objects, live), rev.Adopted)
	st := evidence.RollbackSteps{Command: fmt.Sprintf("kship rollback %s -n %s", name, ns), DownJobs: downs}
	if len(downs) > 0 {
		st.OwnManifests = showManifestsCommand(ns, name, rev.Number)
	}
	if target == nil {
		st.Delete = refs(all)
		return st
	}
	st.Command += fmt.Sprintf(" --to-revision %d", target.Number)
	st.TargetRevision = target.Number
	st.ShowManifests = showManifestsCommand(ns, name, target.Number)
	st.Delete = refs(missing(all, target.Objects))
	st.Recreate = refs(missing(target.Objects, rev.Objects))
	return st
}

// releaseOf parses the release file stored with a revision, defaults
// filled, for the checks and timeouts a rollback to it uses. Its source is
// replaced by "." before parsing: the revision's manifests are stored, the
// folder they were rendered from may be gone. It falls back to fallback, or
// to an empty release (no checks) when there is none.
func releaseOf(rev *record.Revision, fallback *config.Release) *config.Release {
	if fallback == nil {
		fallback = &config.Release{}
	}
	if rev == nil || len(rev.ReleaseFile) == 0 {
		return fallback
	}
	var doc map[string]any
	if err := yaml.Unmarshal(rev.ReleaseFile, &doc); err != nil {
		return fallback
	}
	if spec, ok := doc["spec"].(map[string]any); ok {
		spec["source"] = map[string]any{"path": "."}
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return fallback
	}
	rel, err := config.Parse(fmt.Sprintf("release file of revision %d", rev.Number), data, os.TempDir())
	if err != nil {
		return fallback
	}
	return rel
}

// downNames lists the names of the down Jobs of rel present in objs.
func downNames(rel *config.Release, objs []manifest.Object) []string {
	var out []string
	for _, j := range jobsNamed(objs, downJobs(rel)) {
		out = append(out, j.Obj.GetName())
	}
	return out
}
