// Package rollback is kship's Rollback stage: restoring an earlier revision
// of a release exactly and verifying it (Restore), what a failed deploy
// does (AfterFailure: roll back automatically, or stop and say what to
// run), `kship rollback` (Manual) and the rollback drill (Drill), the
// revision a rollback restores (Target) and the steps to roll back by hand
// (Steps).
//
// The mechanism writes (rollout.Restore through a Restorer); the caller
// waits and verifies (a Checker: release runs the restored revision's smoke
// checks and gates as for a new one). It imports config, event, evidence,
// manifest, record and rollout because a rollback is made of them: it reads
// a revision's release file and objects, records the rollback revision,
// writes its evidence and steps, and emits its decisions.
package rollback

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
)

// Restorer is the part of a mechanism a rollback restores through.
type Restorer interface {
	// Restore brings r.Target back (nil: removes what the release created)
	// and returns the objects whose readiness shows it took effect.
	Restore(ctx context.Context, r rollout.Restore) ([]manifest.Object, error)
}

// OriginReader is the optional part of a Restorer whose mechanism keeps a
// history of its own (Helm's): what ran before kship's first revision.
type OriginReader interface {
	// Origin returns what ran before r.From when kship has no earlier
	// revision (r.Target nil): another client's release kship's first
	// deploy adopted; nil when nothing ran before it.
	Origin(ctx context.Context, r rollout.Restore) (*rollout.Origin, error)
}

// History is the release history a rollback reads and records in
// (record.Store).
type History interface {
	Save(ctx context.Context, r *record.Revision) error
	// SaveRetrying saves across a short API-server outage (record.Store's).
	SaveRetrying(ctx context.Context, r *record.Revision, within time.Duration, retry func(err error, next time.Duration)) error
	Get(ctx context.Context, ns, name string, number int) (*record.Revision, error)
}

// Checker waits for a restored revision and verifies it with its release
// file's smoke checks and gates, as a new revision is verified.
type Checker interface {
	// Ready waits for objs with rel's rollout timeout and the detector.
	Ready(ctx context.Context, rel *config.Release, ns string, objs []manifest.Object) error
	// Verify runs rel's smoke checks and gates on the restored revision
	// (its number, for the gates' {{.Revision}}): checked lists what
	// passed, unverified why gates stayed inconclusive, err a check that
	// failed.
	Verify(ctx context.Context, rel *config.Release, ns string, revision int) (checked []string, unverified string, err error)
}

// Runner runs the rollbacks of one attempt.
type Runner struct {
	Mechanism Restorer
	History   History
	Check     Checker
	// Env is the run's event stream (masked, recorded) and clock.
	Env rollout.Env
	// Holder is who runs it ("user@host pid P"), recorded as By.
	Holder string
	// Recorder has the attempt's events, for the rollback revision's own
	// bundle; Redactor masks what it writes.
	Recorder *evidence.Recorder
	Redactor *evidence.Redactor
	// EvidenceRoot is the root evidence folder (--evidence-dir).
	EvidenceRoot string
	// StagerOf is the strategy a release file names when it has a part
	// in rollbacks (nil when it has none, or StagerOf is nil).
	StagerOf func(rel *config.Release) Stager
}

// Input says what one rollback restores.
type Input struct {
	Namespace, Release string
	// From is the revision rolled back (its objects are live), with the
	// release file it was deployed with.
	From        *record.Revision
	FromRelease *config.Release
	// Target is the revision to restore; nil removes the release.
	Target *record.Revision
	// Live are all objects that may be live now.
	Live []manifest.Object
	// Number is the revision number the rollback is recorded as; Dir its
	// evidence folder.
	Number int
	Dir    string
	// Forward is a drill's roll-forward (rollout.Restore.Forward).
	Forward bool
	// Trigger is why From failed (rollout.Restore.Trigger).
	Trigger string
	// Origin is what ran before kship's first revision when Target holds
	// its objects (withOrigin), nil when Target is a kship revision.
	Origin *rollout.Origin
}

// target names what in restores: "revision N", or the origin.
func (in Input) target() string { return in.Origin.NameOr(in.Target) }

// restored is the revision number a restored target's checks run as: the
// target's, or the rollback revision's for an origin (its pods carry no
// kship revision of their own).
func (in Input) restored() int {
	if in.Origin != nil {
		return in.Number
	}
	return in.Target.Number
}

// withOrigin completes an Input with no Target: when the mechanism says
// what ran before kship's first revision (another client's release),
// Target becomes a revision with its objects, checked with From's release
// file, so the rollback restores it instead of removing the release. The
// Input is unchanged when there is none, or for a drill's roll-forward.
func (x *Runner) withOrigin(ctx context.Context, in Input) (Input, error) {
	if in.Target != nil || in.Forward {
		return in, nil
	}
	o, err := OriginOf(ctx, x.Mechanism, rollout.Restore{Namespace: in.Namespace, From: in.From, FromRelease: in.FromRelease, Live: in.Live, Number: in.Number, Trigger: in.Trigger})
	if err != nil {
		return in, err
	}
	if o == nil {
		return in, nil
	}
	in.Origin = o
	in.Target = &record.Revision{Release: in.Release, Namespace: in.Namespace, Objects: o.Objects, Message: o.Name + ", " + o.By}
	if in.FromRelease != nil {
		in.Target.ReleaseFile = in.FromRelease.Raw // the checks it is verified with
	}
	return in, nil
}

// OriginOf is what mech says ran before kship revision r.From, when
// kship has no earlier revision (OriginReader): nil when nothing did, or
// when mech keeps no history of its own.
func OriginOf(ctx context.Context, mech Restorer, r rollout.Restore) (*rollout.Origin, error) {
	or, ok := mech.(OriginReader)
	if !ok {
		return nil, nil
	}
	o, err := or.Origin(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("find what ran before revision %d: %w (nothing was changed)", r.From.Number, err)
	}
	return o, nil
}

// Result is what a rollback did.
type Result struct {
	// In is the Input as it was restored: with Target and Origin set when
	// the mechanism said what ran before kship's first revision
	// (withOrigin), which the caller's Input did not know.
	In Input
	// Revision is the rollback revision, recorded before the first write
	// and updated with the result (nil when the release was removed).
	Revision *record.Revision
	Checked  []string
	// Unverified says why a restored revision that is applied and ready
	// was not verified: its gates stayed inconclusive ("" when verified,
	// or when the rollback failed).
	Unverified string
	Err        error
	// Stopped is why the rollback was stopped before its end (its context
	// ended: a second interrupt), nil when it ran to its end; Err is then
	// set too. Restored says the target's objects were applied and ready
	// when it stopped (only their verification did not finish).
	Stopped  error
	Restored bool
}

// where says what runs after a rollback of in that was stopped.
func (res Result) where(in Input) string {
	switch {
	case in.Target == nil:
		return fmt.Sprintf("the removal of revision %d's objects did not finish: some may still run", in.From.Number)
	case res.Restored:
		return fmt.Sprintf("%s's objects were applied and ready, their verification did not finish", in.target())
	}
	return fmt.Sprintf("the restore did not finish: the cluster may run objects of revision %d and of %s", in.From.Number, in.target())
}

// Restore rolls a release back through the mechanism (down Jobs of
// reversible migrations, the target's manifests exactly, what the target
// lacks deleted), waits with the detector, re-runs the target's smoke
// checks and gates, and records the result as a revision. An Input
// without a Target first asks the mechanism what ran before kship's first
// revision (withOrigin): every caller (a failed deploy, kship rollback, a
// drill) restores another client's release rather than removing it;
// Result.In says what was restored.
func (x *Runner) Restore(ctx context.Context, in Input) Result {
	in, err := x.withOrigin(ctx, in)
	if err != nil {
		x.decide("rollback not started: %v", err)
		return Result{In: in, Err: err}
	}
	res := x.restore(ctx, in)
	res.In = in
	return res
}

// restore is Restore of an Input whose Target is known.
func (x *Runner) restore(ctx context.Context, in Input) Result {
	what := "remove the release (it has no previous revision)"
	if in.Target != nil {
		what = "restore " + in.target()
	}
	done := x.begin(fmt.Sprintf("roll %s back from revision %d: %s", in.Release, in.From.Number, what))
	started := x.Env.Now()
	rev, err := x.open(ctx, in, started)
	if err != nil {
		x.decide("rollback not started: %v", err)
		done("rollback failed")
		return Result{Err: err}
	}
	res := x.steps(ctx, in)
	res.Revision = rev
	if res.Err != nil && ctx.Err() != nil {
		res.Stopped = context.Cause(ctx)
	}
	x.close(ctx, in, &res)
	switch {
	case res.Stopped != nil:
		x.decide("rollback STOPPED (%v): %s", res.Stopped, res.where(in))
		done("rollback stopped")
	case res.Err != nil:
		x.decide("rollback failed: %v", res.Err)
		done("rollback failed")
	case res.Unverified != "":
		x.decide("rollback applied and ready, NOT verified: %s", res.Unverified)
		done("rollback not verified")
	default:
		done("rollback verified")
	}
	return res
}

// open records the rollback as a pending revision before its first write,
// so that a run killed mid-rollback leaves a record saying what it was
// doing. Removing a release records nothing new: the revision it removes
// stays pending until the removal ends.
func (x *Runner) open(ctx context.Context, in Input, started time.Time) (*record.Revision, error) {
	if in.Target == nil {
		return nil, nil
	}
	rev := &record.Revision{
		Release: in.Release, Namespace: in.Namespace, Number: in.Number, Objects: in.Target.Objects,
		ReleaseFile: in.Target.ReleaseFile, Outcome: record.OutcomePending, RollbackOf: in.From.Number, By: x.Holder,
		Message:     fmt.Sprintf("rolling back revision %d to %s", in.From.Number, in.target()),
		EvidenceDir: in.Dir, StartedAt: started, ConfigKey: in.Target.ConfigKey, // the key Target's config digests were made with
		RestoredOrigin: in.Origin.Ref(),
	}
	if err := x.History.Save(ctx, rev); err != nil {
		return nil, fmt.Errorf("record rollback revision %d before its first write: %w (nothing was changed)", in.Number, err)
	}
	return rev, nil
}

// close records how the rollback ended. A rollback whose restored revision
// is applied and ready is the deployed revision, verified or not: the
// history always names what runs, so a later rollback restores it rather
// than deleting the release. A rollback that failed leaves the revision it
// rolled back from as the deployed one.
func (x *Runner) close(ctx context.Context, in Input, res *Result) {
	rev := res.Revision
	if rev == nil {
		return
	}
	rev.FinishedAt = x.Env.Now()
	rev.Outcome, rev.Message = record.OutcomeDeployed, fmt.Sprintf("rollback of revision %d to %s", in.From.Number, in.target())
	switch {
	case res.Stopped != nil:
		rev.Outcome, rev.Message = record.OutcomeInterrupted, fmt.Sprintf("rollback of revision %d to %s %v: %s", in.From.Number, in.target(), res.Stopped, res.where(in))
	case res.Err != nil:
		rev.Outcome, rev.Message = record.OutcomeFailed, fmt.Sprintf("rollback of revision %d to %s failed: %v", in.From.Number, in.target(), res.Err)
	case res.Unverified != "":
		rev.Unverified = true
		rev.Message += ", NOT verified: " + res.Unverified
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), record.DefaultSaveWithin+30*time.Second)
	defer cancel()
	err := x.History.SaveRetrying(sctx, rev, record.DefaultSaveWithin, func(err error, next time.Duration) {
		x.log(fmt.Sprintf("record rollback revision %d: %v; trying again in %s", in.Number, err, next))
	})
	var prune *record.PruneError
	if errors.As(err, &prune) {
		x.log(fmt.Sprintf("rollback revision %d recorded; %v", in.Number, err))
		err = nil
	}
	if err != nil {
		if res.Err == nil {
			res.Err = fmt.Errorf("record rollback revision %d: %w", in.Number, err)
		}
		return
	}
	if res.Err == nil && in.Target.Outcome == record.OutcomeDeployed {
		in.Target.Outcome, in.Target.Message = record.OutcomeSuperseded, fmt.Sprintf("superseded by rollback revision %d", in.Number)
		x.save(sctx, in.Target, "mark revision %d superseded", in.Target.Number)
	}
}

// steps restores through the mechanism (after the strategy's stages,
// when it has any), waits and verifies.
func (x *Runner) steps(ctx context.Context, in Input) Result {
	rel := ReleaseOf(in.Target, in.FromRelease)
	r := rollout.Restore{Namespace: in.Namespace, From: in.From, FromRelease: in.FromRelease,
		Target: in.Target, TargetRelease: rel, Live: in.Live, Number: in.Number, Forward: in.Forward, Trigger: in.Trigger, Origin: in.Origin}
	if err := x.stage(ctx, r); err != nil {
		return Result{Err: err}
	}
	objs, err := x.Mechanism.Restore(ctx, r)
	if err != nil {
		return Result{Err: err}
	}
	if in.Target == nil {
		return Result{Checked: []string{"every object the release created deleted"}}
	}
	if err := x.Check.Ready(ctx, rel, in.Namespace, objs); err != nil {
		return Result{Err: fmt.Errorf("restored %s is not ready: %w", in.target(), err)}
	}
	checked, unverified, err := x.Check.Verify(ctx, rel, in.Namespace, in.restored())
	checked = append([]string{fmt.Sprintf("restored %s: all objects ready", in.target())}, checked...)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx) // stopped while the gates were pending: not a verification
	}
	if err != nil {
		return Result{Checked: checked, Restored: true, Err: fmt.Errorf("restored %s failed verification: %w", in.target(), err)}
	}
	return Result{Checked: checked, Unverified: unverified, Restored: true}
}

// ReleaseOf is the release file stored with rev (config.ParseStored), for
// the checks and timeouts a rollback to it uses; fallback when rev has none
// or it cannot be read, or an empty release (no checks) when there is no
// fallback either.
func ReleaseOf(rev *record.Revision, fallback *config.Release) *config.Release {
	if fallback == nil {
		fallback = &config.Release{}
	}
	if rev == nil || len(rev.ReleaseFile) == 0 {
		return fallback
	}
	rel, err := config.ParseStored(fmt.Sprintf("release file of revision %d", rev.Number), rev.ReleaseFile)
	if err != nil {
		return fallback
	}
	return rel
}

// save records rev; a failure is said in the stream (the rollback's
// result stands), never ignored.
func (x *Runner) save(ctx context.Context, rev *record.Revision, format string, args ...any) {
	if err := x.History.Save(ctx, rev); err != nil {
		x.log(fmt.Sprintf(format, args...) + ": " + err.Error())
	}
}

func (x *Runner) emit(typ event.Type, msg string) {
	if x.Env.Sink != nil {
		x.Env.Sink.Emit(event.Event{Time: x.Env.Now(), Stage: event.StageRollback, Type: typ, Message: msg})
	}
}

func (x *Runner) decide(format string, args ...any) {
	x.emit(event.TypeDecision, fmt.Sprintf(format, args...))
}

func (x *Runner) log(msg string) { x.emit(event.TypeLog, msg) }

// begin emits stage.started and returns the function that emits
// stage.finished with a result message.
func (x *Runner) begin(msg string) func(result string) {
	x.emit(event.TypeStageStarted, msg)
	return func(result string) { x.emit(event.TypeStageFinished, result) }
}

// detached is a context for the writes that record a result after the
// caller's context ended (an interrupted rollback still records its state).
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}
