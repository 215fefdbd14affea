package release

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// RollbackOptions configure one `kship rollback NAME`.
type RollbackOptions struct {
	// Name is the release; Namespace its namespace.
	Name      string
	Namespace string
	// ToRevision is the revision to restore; 0 picks the newest earlier
	// revision that was deployed.
	ToRevision int
	// Drill rolls back, verifies, rolls forward again and verifies, and
	// records the drill as evidence (refused in production namespaces).
	Drill       bool
	Clients     *kube.Clients
	EvidenceDir string
	ForceUnlock bool
	Sink        event.Sink
	Now         func() time.Time
	HTTP        *http.Client
	Holder      string
	LockTTL     time.Duration
	// Catalog has the rollout mechanisms; Version is kship's version,
	// recorded with the rollback revision.
	Catalog Catalog
	Version string
}

func (o RollbackOptions) common() common {
	return common{Clients: o.Clients, EvidenceDir: o.EvidenceDir, Sink: o.Sink, Now: o.Now, HTTP: o.HTTP,
		Holder: o.Holder, LockTTL: o.LockTTL, ForceUnlock: o.ForceUnlock, Catalog: o.Catalog, Version: o.Version}
}

// Rollback restores an earlier revision of a release (or, with Drill, runs
// a rollback drill). Exit classes: verified 0, refused 2, failed 4,
// unverified 5.
func Rollback(ctx context.Context, o RollbackOptions) (*Outcome, error) {
	r := newRun(o.common())
	a := &attempt{out: &Outcome{Release: o.Name, Namespace: o.Namespace, StartedAt: r.now()}}
	if o.Drill {
		if err := r.refuseProduction(ctx, o.Namespace); err != nil {
			return r.refusedOrErr(ctx, a, err)
		}
	}
	lease, err := r.lockAndRead(ctx, a)
	if err != nil {
		return r.refusedOrErr(ctx, a, err)
	}
	defer r.unlock(ctx, lease)
	if len(a.revs) == 0 {
		return nil, fmt.Errorf("release %s/%s has no revisions: nothing to roll back", o.Namespace, o.Name)
	}
	from := &a.revs[0]
	target, err := r.rollbackTarget(ctx, a.revs, from, o.ToRevision)
	if err != nil {
		return nil, err
	}
	if o.Drill {
		return r.drill(ctx, a, from, target)
	}
	if target == nil && everDeployed(a.revs) {
		return r.refusedOrErr(ctx, a, nothingToRollBackTo(a.revs, from))
	}
	return r.manualRollback(ctx, a, from, target)
}

// everDeployed reports whether any revision of revs was deployed (running
// now, or replaced later by a newer one).
func everDeployed(revs []record.Revision) bool {
	for _, rev := range revs {
		if rev.Outcome == OutcomeDeployed || rev.Outcome == OutcomeSuperseded {
			return true
		}
	}
	return false
}

// nothingToRollBackTo refuses a rollback that found no earlier revision to
// restore although the release has been deployed: removing the release is
// never what a rollback of a deployed release does.
func nothingToRollBackTo(revs []record.Revision, from *record.Revision) *RefusedError {
	var same []string
	for _, rev := range revs {
		if rev.Number < from.Number && rev.Number != from.RollbackOf && sameObjects(rev.Objects, from.Objects) {
			same = append(same, fmt.Sprintf("%d", rev.Number))
		}
	}
	why := fmt.Sprintf("revision %d has no earlier revision that was deployed", from.Number)
	if len(same) > 0 {
		why = fmt.Sprintf("every earlier deployed revision holds revision %d's very objects (revision %s)", from.Number, strings.Join(same, ", "))
		if from.RollbackOf > 0 {
			why += fmt.Sprintf(" or is revision %d, which it rolled back", from.RollbackOf)
		}
	}
	return &RefusedError{Reason: fmt.Sprintf("nothing to roll back to: %s; nothing was changed. A rollback never removes a deployed release; pick a revision with --to-revision N (kship history %s -n %s)",
		why, from.Release, from.Namespace)}
}

// rollbackTarget picks the revision to restore: the one asked for, or the
// newest earlier revision that was deployed (nil: none, the release is
// removed).
func (r *run) rollbackTarget(ctx context.Context, revs []record.Revision, from *record.Revision, to int) (*record.Revision, error) {
	if to > 0 {
		if to == from.Number {
			return nil, fmt.Errorf("revision %d is the current revision: pick an earlier one (kship history %s)", to, from.Release)
		}
		rev, err := r.hist.Get(ctx, from.Namespace, from.Release, to)
		if errors.Is(err, record.ErrNotFound) {
			return nil, fmt.Errorf("release %s/%s has no revision %d (kept: the last %d; see kship history %s)", from.Namespace, from.Release, to, record.DefaultKeep, from.Release)
		}
		return rev, err
	}
	for i := range revs {
		rev := &revs[i]
		// Skip the revision a rollback undid, and a revision with the very
		// objects of the current one (the one a rollback restored): rolling
		// back to it would change nothing.
		if rev.Number >= from.Number || rev.Number == from.RollbackOf || sameObjects(rev.Objects, from.Objects) {
			continue
		}
		if rev.Outcome == OutcomeDeployed || rev.Outcome == OutcomeSuperseded {
			return rev, nil
		}
	}
	return nil, nil
}

// openRollback sets up an attempt that rolls from back to target (nil:
// remove the release): its revision number and evidence folder, the
// redactor for both revisions' Secrets and the rollback steps. It returns
// the number and from's release file.
func (r *run) openRollback(a *attempt, from, target *record.Revision) (int, *config.Release) {
	number := nextNumber(a.revs)
	a.out.Revision = number
	a.dir = evidence.Folder(r.evidenceRoot, a.out.Release, number, a.out.StartedAt)
	a.out.EvidenceDir = a.dir
	fromRel := releaseOf(from, nil)
	r.red = evidence.NewRedactor(from.Objects, objectsOf(target))
	a.steps = r.rollbackSteps(a.out.Namespace, a.out.Release, from, target, liveObjects(a.revs), downNames(fromRel, from.Objects))
	return number, fromRel
}

// manualRollback runs `kship rollback` and records it as a revision.
func (r *run) manualRollback(ctx context.Context, a *attempt, from, target *record.Revision) (*Outcome, error) {
	number, fromRel := r.openRollback(a, from, target)
	in := restoreInput{ns: a.out.Namespace, name: a.out.Release, from: from, fromRel: fromRel, target: target,
		live: union(from.Objects, liveObjects(a.revs)), number: number, dir: a.dir}
	res := r.restore(ctx, in)
	a.out.Checked = res.checked
	fromChanged := true
	switch {
	case res.err != nil:
		// from keeps its outcome: the history must always name a deployed
		// revision, and the failed rollback revision says what happened.
		a.out.Verdict = RollbackFailed
		a.out.Summary = fmt.Sprintf("rollback of revision %d FAILED: %v", from.Number, res.err)
		a.out.ManualSteps = manualSteps(a.dir, a.steps)
		fromChanged = false
	case res.revision == nil:
		a.out.Verdict, a.out.Revision = Verified, from.Number
		a.out.Summary = fmt.Sprintf("revision %d had no earlier revision: its objects were deleted", from.Number)
		from.Outcome, from.Message = OutcomeRolledBack, "rolled back: the release was removed"
	case res.unverified != "":
		a.out.Verdict, a.out.RestoredRevision, a.out.RollbackRevision = Unverified, target.Number, number
		a.out.Summary = fmt.Sprintf("rolled back from revision %d to revision %d (recorded as revision %d), applied and ready but NOT verified: %s",
			from.Number, target.Number, number, res.unverified)
		from.Outcome, from.Message = OutcomeRolledBack, fmt.Sprintf("rolled back to revision %d by revision %d (not verified)", target.Number, number)
	default:
		a.out.Verdict, a.out.RestoredRevision, a.out.RollbackRevision = Verified, target.Number, number
		a.out.Summary = fmt.Sprintf("rolled back from revision %d to revision %d (recorded as revision %d), verified", from.Number, target.Number, number)
		from.Outcome, from.Message = OutcomeRolledBack, fmt.Sprintf("rolled back to revision %d by revision %d", target.Number, number)
	}
	if res.err == nil && len(res.checked) <= 1 && target != nil {
		a.out.Verdict = Unverified
	}
	if fromChanged {
		if err := r.hist.Save(ctx, from); err != nil {
			r.emit(event.StageRollback, event.TypeLog, "", fmt.Sprintf("record revision %d: %v", from.Number, err), nil)
		}
	}
	r.decide(event.StageRollback, "verdict: %s", a.out.Verdict)
	a.rev, a.saved = res.revision, res.revision != nil
	if a.rev != nil && a.out.Verdict == Unverified {
		a.rev.Unverified = true
	}
	return r.finish(ctx, a, evidence.KindRollback)
}

// objectsOf returns a revision's objects, nil for no revision.
func objectsOf(rev *record.Revision) []manifest.Object {
	if rev == nil {
		return nil
	}
	return rev.Objects
}

// sameObjects reports whether two revisions hold exactly the same objects.
func sameObjects(a, b []manifest.Object) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !reflect.DeepEqual(a[i].Obj.Object, b[i].Obj.Object) {
			return false
		}
	}
	return true
}
