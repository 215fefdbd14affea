package release

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kship/kship/internal/apply"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rolling"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/smoke"
	"github.com/kship/kship/internal/validate"
	"github.com/kship/kship/internal/wait"
)

// The fakes below script the stages so the executor's order of calls and
// its decisions can be tested without a cluster. Every stage itself is
// tested end to end in its own package, and the executor in e2e_test.go.

// script records the calls the executor made, in order.
type script struct {
	mu    sync.Mutex
	calls []string
}

func (s *script) call(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, fmt.Sprintf(format, args...))
}

func (s *script) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

type fakeHistory struct {
	s      *script
	revs   map[int]record.Revision
	locked *record.LockedError
	// failSave, when set, fails the saves it returns an error for.
	failSave func(r *record.Revision) error
}

func (h *fakeHistory) Save(_ context.Context, r *record.Revision) error {
	if h.failSave != nil {
		if err := h.failSave(r); err != nil {
			h.s.call("save %d %s failed", r.Number, r.Outcome)
			return err
		}
	}
	h.s.call("save %d %s", r.Number, r.Outcome)
	h.revs[r.Number] = *r
	return nil
}

func (h *fakeHistory) SaveRetrying(ctx context.Context, r *record.Revision, _ time.Duration, _ func(error, time.Duration)) error {
	return h.Save(ctx, r)
}

func (h *fakeHistory) List(context.Context, string, string) ([]record.Revision, error) {
	var out []record.Revision
	for _, r := range h.revs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number > out[j].Number })
	return out, nil
}

func (h *fakeHistory) Get(_ context.Context, _, _ string, n int) (*record.Revision, error) {
	r, ok := h.revs[n]
	if !ok {
		return nil, record.ErrNotFound
	}
	return &r, nil
}

func (h *fakeHistory) Lock(_ context.Context, _, _, holder string, o record.LockOptions) (*record.Lease, error) {
	if h.locked != nil && !o.Force {
		h.s.call("lock refused")
		return nil, h.locked
	}
	h.s.call("lock")
	return nil, nil
}

type fakeApplier struct {
	s    *script
	name string
	err  error
}

func (a *fakeApplier) Apply(_ context.Context, objs []manifest.Object, _ apply.Options) (*apply.ChangeSet, error) {
	a.s.call("%s %s", a.name, objNames(objs))
	cs := &apply.ChangeSet{}
	for _, o := range objs {
		cs.Changes = append(cs.Changes, apply.Change{Ref: o.Ref(), Action: apply.Configured})
	}
	return cs, a.err
}

func (a *fakeApplier) Prune(_ context.Context, objs []manifest.Object) (*apply.ChangeSet, error) {
	a.s.call("%s-prune %s", a.name, objNames(objs))
	return &apply.ChangeSet{}, nil
}

type fakeWaiter struct {
	s     *script
	fails []error // returned by successive Wait calls; nil entries succeed
	watch []wait.Failure
}

func (w *fakeWaiter) Wait(context.Context, []manifest.Ref, wait.Options) (*wait.Result, error) {
	w.s.call("wait")
	if len(w.fails) == 0 {
		return &wait.Result{}, nil
	}
	err := w.fails[0]
	w.fails = w.fails[1:]
	return &wait.Result{}, err
}

func (w *fakeWaiter) Watch(ctx context.Context, _ []manifest.Ref, _ wait.Options) *wait.Watching {
	ch := make(chan wait.Failure, len(w.watch))
	for _, f := range w.watch {
		ch <- f
	}
	return &wait.Watching{Failures: ch}
}

func (w *fakeWaiter) Reobserve(context.Context, []manifest.Ref, wait.Options, time.Time) (*wait.Reobservation, error) {
	return &wait.Reobservation{}, nil
}

type fakeSmoke struct {
	s    *script
	pass []bool
	msg  string // the results' message ("scripted" when empty)
}

func (f *fakeSmoke) Run(_ context.Context, _ string, checks []config.SmokeCheck, _ event.Sink) []smoke.Result {
	var out []smoke.Result
	for _, c := range checks {
		ok := true
		if len(f.pass) > 0 {
			ok, f.pass = f.pass[0], f.pass[1:]
		}
		f.s.call("smoke %s %v", c.Name, ok)
		msg := f.msg
		if msg == "" {
			msg = "scripted"
		}
		out = append(out, smoke.Result{Name: c.Name, Kind: "http", Passed: ok, Attempts: 1, Message: msg})
	}
	return out
}

type fakeGates struct {
	s        *script
	verdicts []gate.Verdict
}

func (g *fakeGates) SetVars(config.QueryVars) {}

func (g *fakeGates) Place(context.Context, gate.Placement) (gate.Placed, error) {
	return gate.Placed{}, nil
}

func (g *fakeGates) Waits([]config.Gate) []gate.Wait { return nil }

func (g *fakeGates) Baseline(context.Context, []config.Gate) map[string]gate.Measurement {
	g.s.call("baseline")
	return nil
}

func (g *fakeGates) Evaluate(_ context.Context, gates []config.Gate, _ map[string]gate.Measurement, _ event.Sink) []gate.Measurement {
	var out []gate.Measurement
	for _, gt := range gates {
		v := gate.Pass
		if len(g.verdicts) > 0 {
			v, g.verdicts = g.verdicts[0], g.verdicts[1:]
		}
		g.s.call("gate %s %s", gt.Name, v)
		out = append(out, gate.Measurement{Gate: gt.Name, Verdict: v, Threshold: "<= 0.05", Message: "scripted " + string(v)})
	}
	return out
}

func objNames(objs []manifest.Object) string {
	s := ""
	for i, o := range objs {
		if i > 0 {
			s += ","
		}
		s += o.Obj.GetKind() + "/" + o.Obj.GetName()
	}
	return s
}

func obj(kind, name string, data map[string]any) manifest.Object {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "shop"}}}
	if kind == "Deployment" {
		u.SetAPIVersion("apps/v1")
	}
	for k, v := range data {
		u.Object[k] = v
	}
	return manifest.Object{Obj: u}
}

// harness is an executor run wired to fakes.
type harness struct {
	s       *script
	hist    *fakeHistory
	apply   *fakeApplier
	reapply *fakeApplier
	waiter  *fakeWaiter
	smoke   *fakeSmoke
	gates   *fakeGates
	rel     *config.Release
	objs    []manifest.Object
	report  *validate.Report
	events  []event.Event
	dir     string
}

func newHarness(dir string) *harness {
	s := &script{}
	h := &harness{s: s, hist: &fakeHistory{s: s, revs: map[int]record.Revision{}},
		apply: &fakeApplier{s: s, name: "apply"}, reapply: &fakeApplier{s: s, name: "reapply"},
		waiter: &fakeWaiter{s: s}, smoke: &fakeSmoke{s: s}, gates: &fakeGates{s: s}, report: &validate.Report{}, dir: dir}
	max := 0.05
	h.rel = &config.Release{Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop",
		Strategy: config.Strategy{Type: config.StrategyRolling}, Rollback: config.Rollback{Method: config.RollbackAuto},
		Verify: config.Verify{Smoke: []config.SmokeCheck{{Name: "health"}},
			Metrics: &config.Metrics{Gates: []config.Gate{{Name: "errors", Max: &max}}}}}}
	h.objs = []manifest.Object{obj("ConfigMap", "cfg", nil), obj("Deployment", "web", nil)}
	return h
}

func (h *harness) run() *run {
	clients := &kube.Clients{Typed: fake.NewSimpleClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})}
	sink := event.SinkFunc(func(e event.Event) { h.events = append(h.events, e) })
	r := newRun(RunOptions{Clients: clients, EvidenceDir: h.dir, Sink: sink, Now: time.Now, Holder: "me@here pid 1"})
	r.hist, r.smoke = h.hist, h.smoke
	r.catalog = testCatalog()
	// The real apply mechanism and rolling strategy, writing through the
	// scripted appliers.
	r.catalog.Mechanisms[config.MechanismApply] = func(e rollout.Env) Mechanism {
		return &apply.Mechanism{Writer: h.apply, Restorer: h.reapply, Env: e}
	}
	r.waiterFor = func(event.Stage) waiter { return h.waiter }
	r.gatesFor = func(rel *config.Release) (evaluator, error) {
		if rel.Spec.Verify.Metrics == nil {
			return nil, nil
		}
		return h.gates, nil
	}
	r.prepare = func(_ context.Context, o PrepareOptions) (*Prepared, error) {
		h.s.call("prepare previous=%d", len(o.Previous))
		return &Prepared{Release: h.rel, Objects: h.objs, Report: h.report, EvidenceDir: o.EvidenceDir}, nil
	}
	return r
}

func (h *harness) rollback(o RollbackOptions) (*event.Outcome, error) {
	o.Name, o.Namespace, o.EvidenceDir = "web", "shop", h.dir
	return h.run().rollback(context.TODO(), o)
}

func (h *harness) deploy() (*event.Outcome, error) {
	return h.run().deploy(context.TODO(), DeployOptions{ReleaseFile: "testdata/kship.yaml", RunOptions: RunOptions{EvidenceDir: h.dir}})
}

var _ = evidence.KindDeploy

// testCatalog is the catalog of kship's build (cli.Catalog), which this
// package's tests cannot import.
func testCatalog() Catalog {
	return Catalog{
		Mechanisms: map[string]func(rollout.Env) Mechanism{
			config.MechanismApply: func(e rollout.Env) Mechanism { return apply.NewMechanism(e) },
		},
		Strategies: map[string]func(rollout.Env) Strategy{
			config.StrategyRolling: func(e rollout.Env) Strategy { return rolling.New(e) },
		},
	}
}
