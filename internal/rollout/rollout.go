// Package rollout holds what crosses the two seams of the Rollout stage. A
// mechanism is how a revision's objects reach the cluster and how an
// earlier revision is restored (packages apply, helm, gitops); a strategy
// is how the new version replaces the old (packages rolling, canary,
// bluegreen). release defines the two interfaces where it
// uses them (release.Mechanism, release.Strategy) and picks the
// implementations named by the release file (spec.mechanism,
// spec.strategy.type) from the Catalog its caller passes. An
// implementation imports this package, never release.
//
// It imports config, event, kube, manifest and record because its types are
// made of theirs: a release file, the event stream, the clients, objects and
// revisions.
package rollout

import (
	"context"
	"strconv"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// Env is what a mechanism or strategy gets of the run: the clients, the
// run's event stream (masked, recorded for the evidence) and its clock.
type Env struct {
	Clients *kube.Clients
	Sink    event.Sink
	Now     func() time.Time
	// ForceConflicts takes over fields other field managers own (deploy
	// --force-conflicts) when the new revision is written.
	ForceConflicts bool
}

// Decide records a decision (what was written, pruned, restored) in the
// stream under stage.
func (e Env) Decide(stage event.Stage, msg string) {
	if e.Sink != nil {
		e.Sink.Emit(event.Event{Time: e.Now(), Stage: stage, Type: event.TypeDecision, Message: msg})
	}
}

// Target is what a write makes the release's state in the cluster.
type Target struct {
	// Release is the release file the attempt loaded (migrations, the
	// mechanism's own settings).
	Release   *config.Release
	Namespace string
	// Revision is the number the write is recorded as.
	Revision int
	// Objects are the objects the release must have: the new revision's,
	// or those of one step of a strategy.
	Objects []manifest.Object
	// Live are the objects earlier writes may have left in the cluster;
	// those Objects lacks are removed.
	Live []manifest.Object
}

// Restore is what a mechanism restores: the cluster goes back from one
// revision to another, exactly.
type Restore struct {
	Namespace string
	// From is the revision rolled back (its objects are live), with the
	// release file it was deployed with.
	From        *record.Revision
	FromRelease *config.Release
	// Target is the revision brought back, with its release file; nil
	// removes what the release created (it had no earlier revision).
	Target        *record.Revision
	TargetRelease *config.Release
	// Live are all the objects that may be live now: From's and those of
	// earlier revisions that did not end cleanly.
	Live []manifest.Object
	// Number is the revision number the restore is recorded as (0 when
	// it records none: a release removed).
	Number int
	// Forward is a drill's roll-forward: Target's migrations run again,
	// From's down Jobs are left alone (it restores, it does not undo).
	Forward bool
	// Trigger is why From failed when a failed deploy is rolled back (the
	// attempt's trigger), for a mechanism's own history; "" for kship
	// rollback and drills.
	Trigger string
	// Origin is set when Target is not a kship revision but what ran
	// before kship's first one (Target then holds Origin's objects).
	Origin *Origin
}

// TargetName names what r restores: "revision N", or the origin's name.
func (r Restore) TargetName() string { return r.Origin.NameOr(r.Target) }

// Origin is what a release ran before kship's first revision of it, as the
// mechanism's own history keeps it: a release another client wrote, which
// kship's first deploy adopted. A failed first deploy goes back to it
// instead of removing what the other client created.
type Origin struct {
	// Number is its number in the mechanism's history (a Helm revision).
	Number int
	// Name names it in messages and records ("Helm revision 1").
	Name string
	// By says who wrote it ("another client: Install complete").
	By string
	// Objects are its objects, as the mechanism recorded them.
	Objects []manifest.Object
	// Command restores it by hand with the mechanism's own tool
	// ("helm rollback web 1 -n shop"), for rollback.md.
	Command string
}

// Ref is o without its objects, as records and evidence name it (nil for
// no origin).
func (o *Origin) Ref() *event.Origin {
	if o == nil {
		return nil
	}
	return &event.Origin{Revision: o.Number, Name: o.Name, By: o.By}
}

// NameOr is o's name with who wrote it, or "revision N" of rev when o is
// nil (no origin).
func (o *Origin) NameOr(rev *record.Revision) string {
	if o != nil {
		return o.Name + " (" + o.By + ")"
	}
	if rev == nil {
		return "no revision"
	}
	return "revision " + strconv.Itoa(rev.Number)
}

// Writer is the part of a mechanism a strategy writes through.
type Writer interface {
	// Write makes t.Objects the release's objects in the cluster and
	// removes what t.Live has and t.Objects lacks. It returns the objects
	// whose readiness shows the write took effect; an error is a rollback
	// trigger (it says what failed).
	Write(ctx context.Context, t Target) ([]manifest.Object, error)
}

// Waiter waits until objects are ready, with the failure detector
// watching; an error is a rollback trigger naming the object, pod and
// reason.
type Waiter interface {
	Ready(ctx context.Context, objs []manifest.Object) error
}

// Run is one rollout a strategy carries out: the new revision, and the
// mechanism and waiter it goes through.
type Run struct {
	Target
	Writer Writer
	Waiter Waiter
	Env    Env
}

// WriteReady writes t through the run's mechanism and waits until the
// objects the write returns are ready; an error of either is a rollback
// trigger.
func (r Run) WriteReady(ctx context.Context, t Target) error {
	objs, err := r.Writer.Write(ctx, t)
	if err != nil {
		return err
	}
	return r.Waiter.Ready(ctx, objs)
}

// Finding is a blocking problem a strategy finds in a release's objects
// before the first write, with the change that fixes it (release turns it
// into a check item of kship check and kship deploy).
type Finding struct {
	Object  manifest.Ref
	Source  manifest.Location
	Message string
}

// Preparer is a mechanism with a part in Plan and Prepare, before any
// write: the objects as it will write them, the field manager it writes
// with (the plan's dry-runs use both, so they predict the write), what the
// write will do, and what blocks it. A mechanism without one writes the
// rendered objects with kube.FieldManager.
type Preparer interface {
	Prepare(ctx context.Context, t Target) (*Preparation, error)
}

// Preparation is a mechanism's part of Plan and Prepare.
type Preparation struct {
	// Objects are the target's objects as the mechanism will write them.
	Objects []manifest.Object
	// FieldManager is the field manager the mechanism writes with.
	FieldManager string
	// UpgradesClientSide says the write first moves the fields
	// FieldManager owns through client-side updates to its server-side
	// apply (Helm 4 upgrading a release a Helm 3 client wrote), so the
	// plan does not count them as another manager's.
	UpgradesClientSide bool
	// Plan says in one line what the write will do ("Helm revision 4 of
	// release shop/web (upgrade) with these 6 objects").
	Plan string
	// Checks are the mechanism's prepare checks; a Blocking one refuses
	// the deploy before its first write.
	Checks []Check
}

// Check is one prepare check of a mechanism.
type Check struct {
	Blocking bool
	// Warning marks a check that passes with something to look at.
	Warning  bool
	Message  string
	Evidence string
}

// StrategyPreparer is a strategy with a part in Plan and Prepare, before
// any write: the objects as its rollout really writes them (what the
// revision records, what the plan's dry-runs and every prepare check see),
// the steps it takes, and what blocks it. A strategy without one writes
// the rendered objects (the objects of its intermediate steps, such as a
// canary Deployment, are its own).
type StrategyPreparer interface {
	PrepareStrategy(ctx context.Context, t Target) (*StrategyPreparation, error)
}

// StrategyPreparation is a strategy's part of Plan and Prepare.
type StrategyPreparation struct {
	// Objects are the revision's objects as the strategy writes them.
	Objects []manifest.Object
	// Steps say in order what the rollout does and which objects each
	// step creates, scales, switches or removes (the plan lists them).
	Steps []string
	// Findings block the deploy before its first write.
	Findings []Finding
}

// Pause is where a strategy stopped a release part way (record.Pause: it
// is stored with the revision).
type Pause = record.Pause

// PausedError is what a strategy's Rollout (or Resume) returns when a step
// of the release file stops it part way for a human (a canary's pause
// without a duration): not a rollback trigger; the revision is recorded as
// paused with Pause, and kship promote or kship abort continues.
type PausedError struct{ Pause Pause }

func (e *PausedError) Error() string {
	return "paused at step " + strconv.Itoa(e.Pause.Step) + " of " + strconv.Itoa(e.Pause.Steps) + ": " + e.Pause.Message
}
