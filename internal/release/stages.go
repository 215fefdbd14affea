package release

import (
	"context"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/smoke"
	"github.com/kship/kship/internal/wait"
)

// The executor only runs stages; the work is in the stage packages. These
// interfaces are the parts of each stage it calls, so the order of calls can
// be tested with scripted fakes.

// waiter waits for readiness and runs the failure detector (P4-A wait).
type waiter interface {
	Wait(ctx context.Context, objs []manifest.Ref, opts wait.Options) (*wait.Result, error)
	Watch(ctx context.Context, objs []manifest.Ref, opts wait.Options) *wait.Watching
	// Reobserve lists afresh what Watch watches, for what it may have
	// missed since a time it was blind.
	Reobserve(ctx context.Context, objs []manifest.Ref, opts wait.Options, since time.Time) (*wait.Reobservation, error)
}

// history stores revisions and the lock (P4-B record).
type history interface {
	Save(ctx context.Context, r *record.Revision) error
	// SaveRetrying saves across a short API-server outage (record.Store's).
	SaveRetrying(ctx context.Context, r *record.Revision, within time.Duration, retry func(err error, next time.Duration)) error
	List(ctx context.Context, ns, name string) ([]record.Revision, error)
	Get(ctx context.Context, ns, name string, number int) (*record.Revision, error)
	Lock(ctx context.Context, ns, name, holder string, opts record.LockOptions) (*record.Lease, error)
}

// smoker runs smoke checks (P4-B smoke).
type smoker interface {
	Run(ctx context.Context, ns string, checks []config.SmokeCheck, sink event.Sink) []smoke.Result
}

// evaluator measures metric gates (P4-B gate): SetVars before Baseline,
// Place once the new revision is ready, then Waits says when each gate's
// window holds only the new revision's samples.
type evaluator interface {
	SetVars(v config.QueryVars)
	Baseline(ctx context.Context, gates []config.Gate) map[string]gate.Measurement
	Place(ctx context.Context, p gate.Placement) (gate.Placed, error)
	Waits(gates []config.Gate) []gate.Wait
	Evaluate(ctx context.Context, gates []config.Gate, baseline map[string]gate.Measurement, sink event.Sink) []gate.Measurement
}

// preparer is Plan + Prepare (P3-C release.Prepare).
type preparer func(ctx context.Context, o PrepareOptions) (*Prepared, error)
