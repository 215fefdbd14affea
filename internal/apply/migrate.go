package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/wait"
)

// role is what Apply does with an object.
type role int

const (
	roleApply     role = iota // apply it
	roleMigration             // apply it and run it to completion first
	roleSkip                  // leave it: a migration's down Job, run only on rollback
)

// migrationPlan knows which Jobs of the bundle are migrations.
type migrationPlan struct {
	order map[string]int // Job name -> position in the release's migrations
	down  map[string]bool
}

// planMigrations checks that every migration names a Job of the bundle
// (before anything is written) and indexes them.
func planMigrations(objs []manifest.Object, migrations []config.Migration) (*migrationPlan, error) {
	jobs := map[string]bool{}
	for _, o := range objs {
		if isJob(o.Ref()) {
			jobs[o.Obj.GetName()] = true
		}
	}
	p := &migrationPlan{order: map[string]int{}, down: map[string]bool{}}
	var errs []error
	for i, m := range migrations {
		if !jobs[m.Job] {
			errs = append(errs, fmt.Errorf("migration %q: no Job named %q in the release's manifests", m.Job, m.Job))
		}
		p.order[m.Job] = i
		if m.Down != "" {
			if !jobs[m.Down] {
				errs = append(errs, fmt.Errorf("migration %q: no down Job named %q in the release's manifests", m.Job, m.Down))
			}
			p.down[m.Down] = true
		}
	}
	return p, errors.Join(errs...)
}

// role returns what Apply does with o.
func (p *migrationPlan) role(o manifest.Object) role {
	if !isJob(o.Ref()) {
		return roleApply
	}
	if _, ok := p.order[o.Obj.GetName()]; ok {
		return roleMigration
	}
	if p.down[o.Obj.GetName()] {
		return roleSkip
	}
	return roleApply
}

// ordered returns migration Jobs in the release's migration order.
func (p *migrationPlan) ordered(jobs []manifest.Object) []manifest.Object {
	out := make([]manifest.Object, len(jobs))
	copy(out, jobs)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && p.order[out[j].Obj.GetName()] < p.order[out[j-1].Obj.GetName()]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// MigrationError is returned when a migration Job failed or could not
// run; nothing after it was applied.
type MigrationError struct {
	Job manifest.Ref
	// Failure is the detector's finding (failed pod, container, reason),
	// nil when the Job could not be applied or timed out.
	Failure *wait.Failure
	Err     error
}

// Error names the Job and why it failed.
func (e *MigrationError) Error() string {
	if e.Failure != nil {
		return fmt.Sprintf("%s: migration failed, workloads left untouched: %s", e.Job, e.Failure.Detail())
	}
	return fmt.Sprintf("%s: migration failed, workloads left untouched: %v", e.Job, e.Err)
}

// Unwrap returns the underlying error (a *wait.FailureError, a timeout, an
// apply error).
func (e *MigrationError) Unwrap() error { return e.Err }

// runMigration applies one migration Job and waits until it is Complete,
// aborting on the first failure of its pods (image pull, crash loop,
// unschedulable) or its Failed condition. A Job applied unchanged that
// already completed returns at once; one whose template changed is
// replaced.
func (a *Applier) runMigration(ctx context.Context, s *session, job manifest.Object, opts Options) (Change, error) {
	changes, err := a.applyBatch(ctx, s, []manifest.Object{job})
	var ch Change
	if len(changes) > 0 {
		ch = changes[0]
	}
	if err != nil {
		return ch, &MigrationError{Job: job.Ref(), Err: err}
	}
	if opts.MigrationTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.MigrationTimeout)
		defer cancel()
	}
	w := &wait.Waiter{Clients: a.Clients, Sink: a.Sink, Now: a.Now, Stage: a.Stage}
	_, err = w.Wait(ctx, []manifest.Ref{job.Ref()}, wait.Options{Detector: opts.Detector})
	var fe *wait.FailureError
	if errors.As(err, &fe) {
		return ch, &MigrationError{Job: job.Ref(), Failure: &fe.Failure, Err: err}
	}
	if err != nil {
		return ch, &MigrationError{Job: job.Ref(), Err: err}
	}
	return ch, nil
}
