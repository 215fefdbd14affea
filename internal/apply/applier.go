// Package apply writes a release's objects to the cluster with server-side
// apply (field manager kube.FieldManager), in dependency order: Namespaces, CRDs
// (waited to Established), RBAC, config, migration Jobs (run to completion
// before anything else changes), Services, workloads, the rest. It also
// prunes (deletes) objects a release no longer has, and fetches live
// objects. Every result is a ChangeSet, also on error.
//
// Mechanism is the apply mechanism of the Rollout seam (rollout): it writes
// a revision (Write) and restores an earlier one (Restore) with the
// Applier. The package imports config, event, kube, manifest, rollout and
// wait because it is where they meet: it applies a release file's objects
// with the clients, waits for migration Jobs with wait's detector, reports
// every change in the stream, and implements the seam.
package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
)

// DefaultWorkers is how many objects of one phase are applied at once
// (measured on the local cluster, 300 objects: 1 worker 29 s, 16 10 s, 32
// 8.7 s, 64 8.8 s).
const DefaultWorkers = 32

// Applier applies and prunes a release's objects.
type Applier struct {
	Clients *kube.Clients
	// FieldManager is the server-side apply field manager (default
	// kube.FieldManager).
	FieldManager string
	// ForceConflicts takes over fields owned by other managers; without it
	// a conflict is refused with a *ConflictError.
	ForceConflicts bool
	Sink           event.Sink
	Now            func() time.Time
	// Stage is the stage the emitted events belong to (default rollout).
	Stage event.Stage
	// Workers bounds concurrent requests within a phase (default DefaultWorkers).
	Workers int
}

// Options tune one Apply.
type Options struct {
	// Migrations are the release's migrations: their Jobs run to
	// completion, in this order, before Services and workloads are
	// applied. Jobs named only as a migration's Down are not applied (they
	// run on rollback: Mechanism.Restore applies them as migrations).
	Migrations []config.Migration
	// Detector tunes the failure detector that watches migration pods.
	Detector config.Detector
	// MigrationTimeout bounds each migration; 0 means until ctx ends.
	MigrationTimeout time.Duration
}

// Action is what happened to one object.
type Action string

// Actions.
const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
	Pruned     Action = "pruned"
	Failed     Action = "failed"
)

// Change is what happened to one object.
type Change struct {
	Ref    manifest.Ref      `json:"ref"`
	Source manifest.Location `json:"source,omitempty"`
	Action Action            `json:"action"`
	// Message adds detail: a Job that was replaced, an object already gone.
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

// EventType is event.TypeApplied: a Change is the payload of its
// object.applied event.
func (Change) EventType() event.Type { return event.TypeApplied }

// ChangeSet is the result of an Apply or Prune, in the order the objects
// were handled.
type ChangeSet struct {
	Changes []Change `json:"changes"`
}

// Counts returns how many objects had each action.
func (c *ChangeSet) Counts() map[Action]int {
	out := map[Action]int{}
	for _, ch := range c.Changes {
		out[ch.Action]++
	}
	return out
}

// Summary says what a change set did, in the order the actions first
// occur: "3 created, 1 configured"; "nothing" for none (or a nil set).
func (c *ChangeSet) Summary() string {
	if c == nil || len(c.Changes) == 0 {
		return "nothing"
	}
	counts := c.Counts()
	var parts []string
	for _, ch := range c.Changes {
		if n := counts[ch.Action]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, ch.Action))
			counts[ch.Action] = 0
		}
	}
	return strings.Join(parts, ", ")
}

// Apply applies objs in dependency order and returns what happened to each.
// It stops after the first phase with a failed object (later phases are
// not touched) and returns the partial ChangeSet with the error; a failed
// migration stops the release before Services and workloads.
func (a *Applier) Apply(ctx context.Context, objs []manifest.Object, opts Options) (*ChangeSet, error) {
	cs := &ChangeSet{}
	plan, err := planMigrations(objs, opts.Migrations)
	if err != nil {
		return cs, err
	}
	s, err := a.newSession()
	if err != nil {
		return cs, err
	}
	for _, phase := range splitPhases(manifest.SortForApply(objs)) {
		var toApply []manifest.Object
		var migrations []manifest.Object
		for _, o := range phase.objs {
			switch plan.role(o) {
			case roleMigration:
				migrations = append(migrations, o)
			case roleApply:
				toApply = append(toApply, o)
			}
		}
		for _, m := range plan.ordered(migrations) {
			ch, err := a.runMigration(ctx, s, m, opts)
			cs.add(ch)
			if err != nil {
				return cs, err
			}
		}
		changes, err := a.applyBatch(ctx, s, toApply)
		cs.Changes = append(cs.Changes, changes...)
		if err != nil {
			return cs, err
		}
		if phase.number == manifest.PhaseCRD {
			if err := a.establishCRDs(ctx, toApply); err != nil {
				return cs, err
			}
		}
	}
	return cs, nil
}

// add appends a change unless it is empty.
func (c *ChangeSet) add(ch Change) {
	if ch.Action != "" {
		c.Changes = append(c.Changes, ch)
	}
}

// phase is a run of objects of one apply phase.
type phase struct {
	number int
	objs   []manifest.Object
}

// splitPhases cuts sorted objects into runs of equal phase.
func splitPhases(sorted []manifest.Object) []phase {
	var out []phase
	for _, o := range sorted {
		p := manifest.Phase(o.Obj)
		if len(out) == 0 || out[len(out)-1].number != p {
			out = append(out, phase{number: p})
		}
		out[len(out)-1].objs = append(out[len(out)-1].objs, o)
	}
	return out
}

// collect joins per-object errors into one, or nil.
func collect(errs []error) error {
	return errors.Join(errs...)
}

func (a *Applier) fieldManager() string {
	if a.FieldManager != "" {
		return a.FieldManager
	}
	return kube.FieldManager
}

func (a *Applier) workers() int {
	if a.Workers > 0 {
		return a.Workers
	}
	return DefaultWorkers
}

func (a *Applier) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// emit sends an object.applied event for a change.
func (a *Applier) emit(ch Change) {
	if a.Sink == nil {
		return
	}
	stage := a.Stage
	if stage == "" {
		stage = event.StageRollout
	}
	msg := string(ch.Action)
	if ch.Message != "" {
		msg += ": " + ch.Message
	}
	if ch.Error != "" {
		msg += ": " + ch.Error
	}
	a.Sink.Emit(event.Event{Time: a.now(), Stage: stage, Type: event.TypeApplied, Object: ch.Ref.String(), Message: msg, Data: ch})
}

// objectError names the object in an error.
func objectError(ref manifest.Ref, what string, err error) error {
	return fmt.Errorf("%s: %s: %w", ref, what, err)
}
