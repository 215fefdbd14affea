package release

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/smoke"
	"github.com/kship/kship/internal/wait"
)

// DefaultLockTTL is how long a release lock lives without renewal: the time a
// dead holder on another host blocks the release before it can be taken over.
const DefaultLockTTL = record.DefaultLockTTL

// run is the state one executor run shares across its stages: the clock,
// the event stream (recorded for the evidence) and the stage clients.
type run struct {
	now     func() time.Time
	rec     *evidence.Recorder
	red     *evidence.Redactor
	clients *kube.Clients
	holder  string
	lockTTL time.Duration
	force   bool // --force-unlock
	// lease is the lock the run holds (nil before it has one); stopGuard
	// ends the goroutine that watches for its loss.
	lease     *record.Lease
	stopGuard func()
	// evidenceRoot is the root evidence folder (--evidence-dir).
	evidenceRoot string
	// version is kship's, for the evidence's provenance.
	version string

	hist history
	// catalog has the mechanisms and strategies; forceConflicts is the
	// caller's --force-conflicts, for the mechanism writing a new revision.
	catalog        Catalog
	forceConflicts bool
	waiterFor      func(stage event.Stage) waiter
	smoke          smoker
	prepare        preparer
	gatesFor       func(rel *config.Release) (evaluator, error)
	// signals are the caller's interrupts; intr what the run knows of
	// them and of the stage running (interrupt.go).
	signals <-chan os.Signal
	intr    interrupts
}

// RunOptions are the options every executor entry point (Deploy,
// Rollback, Promote, Abort) shares; each one's options embed them.
type RunOptions struct {
	Clients *kube.Clients
	// EvidenceDir is the root evidence folder; the attempt's bundle goes to
	// <EvidenceDir>/<release>/<revision>-<timestamp>/.
	EvidenceDir string
	// ForceUnlock takes the lock from a holder that is still there.
	ForceUnlock bool
	Sink        event.Sink
	Now         func() time.Time
	// HTTP is the client of HTTP smoke checks.
	HTTP *http.Client
	// Holder names this run in the lock; default "user@host pid P".
	Holder string
	// LockTTL is the lock's lifetime without renewal; default DefaultLockTTL.
	LockTTL time.Duration
	// Catalog has the rollout mechanisms and strategies the release file
	// may name.
	Catalog Catalog
	// Version is kship's version, recorded with every revision.
	Version string
	// Interrupts delivers the signals that interrupt the run (SIGINT,
	// SIGTERM): the first acts as its stage's policy says (interrupt.go),
	// a second stops a rollback in progress. Nil: only the end of the
	// context stops the run.
	Interrupts <-chan os.Signal
}

// newRun wires the real stage packages.
func newRun(o RunOptions) *run {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	sink := o.Sink
	if sink == nil {
		sink = event.Discard
	}
	hc := o.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	r := &run{now: now, clients: o.Clients, holder: o.Holder, lockTTL: o.LockTTL, force: o.ForceUnlock, prepare: Prepare,
		evidenceRoot: o.EvidenceDir, version: o.Version, catalog: o.Catalog, red: &evidence.Redactor{}, signals: o.Interrupts}
	r.rec = evidence.NewRecorder(redactSink{r: r, next: sink})
	if r.holder == "" {
		r.holder = Holder()
	}
	if r.lockTTL == 0 {
		r.lockTTL = DefaultLockTTL
	}
	r.hist = maskedHistory{history: record.NewStore(o.Clients.Typed, now, o.Version), r: r}
	r.waiterFor = func(stage event.Stage) waiter {
		return &wait.Waiter{Clients: o.Clients, Sink: r.rec, Now: now, Stage: stage}
	}
	r.smoke = &smoke.Runner{HTTP: hc, Typed: o.Clients.Typed, Now: now}
	r.gatesFor = func(rel *config.Release) (evaluator, error) { return newEvaluator(rel, now, r.rec) }
	return r
}

// env is what the run gives a mechanism or strategy: the recorded,
// masked stream and the clock.
func (r *run) env() rollout.Env {
	return rollout.Env{Clients: r.clients, Sink: r.rec, Now: r.now, ForceConflicts: r.forceConflicts}
}

// newEvaluator returns the gate evaluator of a release, nil when it has no
// gates.
func newEvaluator(rel *config.Release, now func() time.Time, sink event.Sink) (evaluator, error) {
	m := rel.Spec.Verify.Metrics
	if m == nil || len(m.Gates) == 0 {
		return nil, nil
	}
	q, err := gate.NewPrometheus(m.Prometheus.Address)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", m.Prometheus.Address, err)
	}
	return &gate.Evaluator{Q: q, Now: now, Sink: stageSink{stage: event.StagePrepare, next: sink}}, nil
}

// emit sends one event into the stream.
func (r *run) emit(stage event.Stage, typ event.Type, object, msg string, data event.Payload) {
	r.rec.Emit(event.Event{Time: r.now(), Stage: stage, Type: typ, Object: object, Message: msg, Data: data})
}

// decide records a decision of the executor.
func (r *run) decide(stage event.Stage, format string, args ...any) {
	r.emit(stage, event.TypeDecision, "", fmt.Sprintf(format, args...), nil)
}

// begin emits stage.started and returns the function that emits
// stage.finished with a result message.
func (r *run) begin(stage event.Stage, msg string) func(result string) {
	r.emit(stage, event.TypeStageStarted, "", msg, nil)
	return func(result string) { r.emit(stage, event.TypeStageFinished, "", result, nil) }
}

// detached is a context for the writes that record a result after the
// caller's context ended (an interrupted run still records its state).
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

// redactSink masks known Secret values in every event before it reaches
// the caller's sink (the terminal or JSON lines).
type redactSink struct {
	r    *run
	next event.Sink
}

// Emit masks e's text and payload (keeping the payload's type), then
// forwards it.
func (s redactSink) Emit(e event.Event) {
	s.r.intr.staged(e)
	s.next.Emit(s.r.red.Event(e))
}

// maskedHistory masks every revision message before it is stored: a
// message quoting a trigger or an error reaches the cluster only through
// the Redactor. The manifests are stored as they are (a rollback restores
// the Secrets exactly; they live only inside the revision Secret).
type maskedHistory struct {
	history
	r *run
}

// Save masks rev's message in place, then saves it; once the run lost its
// lock it writes nothing.
func (h maskedHistory) Save(ctx context.Context, rev *record.Revision) error {
	if err := h.r.lockLost(); err != nil {
		return fmt.Errorf("revision %d not recorded: %w", rev.Number, err)
	}
	rev.Message = h.r.red.String(rev.Message)
	return h.history.Save(ctx, rev)
}

// SaveRetrying masks rev's message in place, then saves it across a short
// API-server outage.
func (h maskedHistory) SaveRetrying(ctx context.Context, rev *record.Revision, within time.Duration, retry func(error, time.Duration)) error {
	if err := h.r.lockLost(); err != nil {
		return fmt.Errorf("revision %d not recorded: %w", rev.Number, err)
	}
	rev.Message = h.r.red.String(rev.Message)
	return h.history.SaveRetrying(ctx, rev, within, retry)
}
