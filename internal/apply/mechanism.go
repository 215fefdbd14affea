package apply

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// ObjectWriter applies and prunes objects: an *Applier (a scripted one in
// the executor's tests).
type ObjectWriter interface {
	Apply(ctx context.Context, objs []manifest.Object, opts Options) (*ChangeSet, error)
	Prune(ctx context.Context, objs []manifest.Object) (*ChangeSet, error)
}

// Mechanism is kship's own rollout mechanism (spec.mechanism apply): a
// revision is written by server-side apply in dependency order, migrations
// first, and what earlier revisions left that it lacks is pruned.
type Mechanism struct {
	// Writer writes new revisions, with the caller's --force-conflicts.
	Writer ObjectWriter
	// Restorer writes restored revisions, conflicts forced: kship owns
	// the fields of a revision it applied before.
	Restorer ObjectWriter
	Env      rollout.Env
}

// NewMechanism returns the apply mechanism of a run.
func NewMechanism(env rollout.Env) *Mechanism {
	return &Mechanism{Env: env,
		Writer: &Applier{Clients: env.Clients, FieldManager: kube.FieldManager, ForceConflicts: env.ForceConflicts,
			Sink: env.Sink, Now: env.Now, Stage: event.StageRollout},
		Restorer: &Applier{Clients: env.Clients, FieldManager: kube.FieldManager, ForceConflicts: true,
			Sink: env.Sink, Now: env.Now, Stage: event.StageRollback}}
}

// Write applies t.Objects in dependency order (running the migrations,
// leaving a reversible migration's down Job to a rollback), then prunes
// what t.Live has and t.Objects lacks. It returns the objects applied.
func (m *Mechanism) Write(ctx context.Context, t rollout.Target) ([]manifest.Object, error) {
	objs := manifest.WithoutJobs(t.Objects, t.Release.DownJobs())
	cs, err := m.Writer.Apply(ctx, objs, Options{Migrations: t.Release.Spec.Migrations, Detector: t.Release.Spec.Detector})
	m.Env.Decide(event.StageRollout, "applied: "+cs.Summary())
	if err != nil {
		return objs, fmt.Errorf("apply failed: %w", err)
	}
	if prune := manifest.Missing(t.Live, t.Objects); len(prune) > 0 {
		cs, err := m.Writer.Prune(ctx, prune)
		m.Env.Decide(event.StageRollout, fmt.Sprintf("pruned %d objects the previous revision had: %s", len(prune), cs.Summary()))
		if err != nil {
			return objs, fmt.Errorf("prune failed: %w", err)
		}
	}
	return objs, nil
}
