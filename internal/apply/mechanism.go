package apply

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/config"
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

// Restore brings r.Target back exactly: it runs the down Jobs of From's
// reversible migrations (not on a roll-forward), applies Target's objects
// again with conflicts forced (on a roll-forward, its migrations run
// again), and deletes what r.Live has and Target lacks, except objects From
// adopted (they existed before kship applied them). With no Target it
// deletes what the release created, in reverse apply order. It returns the
// objects applied, whose readiness shows the restore took effect (none
// when the release was removed).
func (m *Mechanism) Restore(ctx context.Context, r rollout.Restore) ([]manifest.Object, error) {
	if !r.Forward {
		if err := m.runDownJobs(ctx, r); err != nil {
			return nil, err
		}
	}
	if r.Target == nil {
		return nil, m.removeAll(ctx, manifest.Without(r.Live, r.From.Adopted))
	}
	rel, n := r.TargetRelease, r.Target.Number
	objs, opts := manifest.WithoutJobs(r.Target.Objects, rel.MigrationJobs()), Options{}
	if r.Forward && len(rel.Spec.Migrations) > 0 {
		if err := m.resetMigrations(ctx, r.Target.Objects, rel.MigrationJobs()); err != nil {
			return nil, err
		}
		objs, opts = manifest.WithoutJobs(r.Target.Objects, rel.DownJobs()), Options{Migrations: rel.Spec.Migrations}
	}
	cs, err := m.Restorer.Apply(ctx, objs, opts)
	m.Env.Decide(event.StageRollback, fmt.Sprintf("re-applied revision %d: %s", n, cs.Summary()))
	if err != nil {
		return objs, fmt.Errorf("re-apply revision %d: %w", n, err)
	}
	if added := manifest.Without(manifest.Missing(r.Live, r.Target.Objects), r.From.Adopted); len(added) > 0 {
		cs, err := m.Restorer.Prune(ctx, added)
		m.Env.Decide(event.StageRollback, fmt.Sprintf("deleted %d objects revision %d lacks: %s", len(added), n, cs.Summary()))
		if err != nil {
			return objs, fmt.Errorf("delete objects revision %d lacks: %w", n, err)
		}
	}
	return objs, nil
}

// runDownJobs runs the down Jobs of From's reversible migrations to
// completion.
func (m *Mechanism) runDownJobs(ctx context.Context, r rollout.Restore) error {
	jobs := manifest.Jobs(r.From.Objects, r.FromRelease.DownJobs())
	if len(jobs) == 0 {
		return nil
	}
	var migs []config.Migration
	for _, j := range jobs {
		migs = append(migs, config.Migration{Job: j.Obj.GetName(), Type: config.MigrationForwardOnly})
	}
	cs, err := m.Restorer.Apply(ctx, jobs, Options{Migrations: migs})
	m.Env.Decide(event.StageRollback, fmt.Sprintf("ran %d down migration Jobs: %s", len(jobs), cs.Summary()))
	if err != nil {
		return fmt.Errorf("down migration failed: %w", err)
	}
	return nil
}

// resetMigrations deletes the completed migration Jobs (up and down) among
// objs, so the roll-forward runs the migrations again.
func (m *Mechanism) resetMigrations(ctx context.Context, objs []manifest.Object, names map[string]bool) error {
	jobs := manifest.Jobs(objs, names)
	if len(jobs) == 0 {
		return nil
	}
	if _, err := m.Restorer.Prune(ctx, jobs); err != nil {
		return fmt.Errorf("delete completed migration Jobs before running them again: %w", err)
	}
	return nil
}

// removeAll deletes every object of a release that had no earlier
// revision, in reverse apply order.
func (m *Mechanism) removeAll(ctx context.Context, live []manifest.Object) error {
	objs := make([]manifest.Object, len(live))
	for i, o := range live {
		objs[len(live)-1-i] = o
	}
	cs, err := m.Restorer.Prune(ctx, objs)
	m.Env.Decide(event.StageRollback, fmt.Sprintf("deleted the release's %d objects: %s", len(objs), cs.Summary()))
	if err != nil {
		return fmt.Errorf("delete the release's objects: %w", err)
	}
	return nil
}
