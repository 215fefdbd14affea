package bluegreen_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kship/kship/internal/bluegreen"
	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
)

// e2eBG is a blue-green release under test in its own namespace, with a
// client sending live requests (Host app.<ns>) through the ingress.
type e2eBG struct {
	t       *testing.T
	env     *testenv.Env
	clients *kube.Clients
	ns, dir string
	client  *client
	// extra are manifests added to the release's.
	extra string
}

func newE2E(t *testing.T, prefix string) *e2eBG {
	if testing.Short() {
		t.Skip("e2e: needs the local environment")
	}
	env := testenv.Get(t)
	clients, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	b := &e2eBG{t: t, env: env, clients: clients, ns: testenv.Namespace(t, env, prefix), dir: t.TempDir()}
	b.client = &client{url: "http://" + env.Ingress + "/", host: "app." + b.ns}
	return b
}

// Gates of the release files: error-rate and answers, both on the new
// color's pods.
const (
	allGates   = ``
	preAnswers = `
      preSwitch: {duration: 2s, interval: 2s, gates: [answers]}
      postSwitch: {interval: 2s, gates: [error-rate]}`
)

// write renders version (answering errorRate of its requests with 500),
// 3 replicas, with strategy (BlueGreen with the given extra settings, or
// RollingUpdate), and returns its release file.
func (b *e2eBG) write(version, errorRate, strategy, extra string) string {
	b.t.Helper()
	dir := filepath.Join(b.dir, version+"-"+fmt.Sprint(time.Now().UnixNano()))
	if err := os.MkdirAll(filepath.Join(dir, "manifests"), 0o755); err != nil {
		b.t.Fatal(err)
	}
	strat := "{type: RollingUpdate}"
	if strategy == "BlueGreen" {
		strat = "\n    type: BlueGreen\n    blueGreen:\n      scaleDownDelay: 15s" + extra
	}
	sel := `namespace="{{.Namespace}}",pod_template_hash=~"{{.PodTemplateHash}}"`
	spec := fmt.Sprintf(`apiVersion: kship.dev/v1alpha1
kind: Release
metadata:
  name: app
spec:
  namespace: %[1]s
  source: {path: ./manifests}
  strategy: %[2]s
  verify:
    rolloutTimeout: 2m
    smoke:
      - name: health
        http: {url: "http://%[5]s/healthz", headers: {Host: app.%[1]s}}
        retries: 3
    metrics:
      prometheus: {address: %[4]q}
      gates:
        - name: error-rate
          query: sum(rate(http_requests_total{%[3]s,code=~"5.."}[10s])) / sum(rate(http_requests_total{%[3]s}[10s]))
          max: 0.05
        - name: answers
          query: sum(rate(http_requests_total{%[3]s}[10s]))
          min: 1
  stabilize: {window: 0s}
  detector: {restartThreshold: 2}
`, b.ns, strat, sel, b.env.Prometheus, b.env.Ingress)
	app := fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: app
  labels: {sim.kship.dev/load: "true"}
spec:
  selector: {app: app}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 3
  selector: {matchLabels: {app: app}}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
        - name: app
          image: app:%[1]s
          ports: [{name: http, containerPort: 8080}]
          env:
            - {name: DEMO_VERSION, value: %[1]s}
            - {name: DEMO_ERROR_RATE, value: %[2]q}
          resources: {requests: {cpu: 10m, memory: 16Mi}}
`, version, errorRate) + b.extra
	for name, data := range map[string]string{"kship.yaml": spec, "manifests/app.yaml": app} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	return filepath.Join(dir, "kship.yaml")
}

// deploy runs kship deploy and returns the outcome and the events.
func (b *e2eBG) deploy(file string) (*event.Outcome, *events) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.t.Context(), 4*time.Minute)
	defer cancel()
	ev := &events{}
	out, err := release.Deploy(ctx, release.DeployOptions{ReleaseFile: file, RunOptions: release.RunOptions{Clients: b.clients, EvidenceDir: filepath.Join(b.dir, "evidence"),
		Sink: ev, Catalog: cli.Catalog(), Version: "e2e"}})
	if err != nil {
		b.t.Fatalf("deploy %s: %v", file, err)
	}
	return out, ev
}

func (b *e2eBG) expect(out *event.Outcome, ev *events, code int) {
	b.t.Helper()
	if out.ExitCode != code {
		b.t.Fatalf("exit %d (%s): %s; trigger %q; want exit %d\nevents:\n%s", out.ExitCode, out.Verdict, out.Summary, out.Trigger, code, ev.text())
	}
}

// selector is the live Service's selector.
func (b *e2eBG) selector() string {
	b.t.Helper()
	s, err := b.clients.Typed.CoreV1().Services(b.ns).Get(b.t.Context(), "app", metav1.GetOptions{})
	if err != nil {
		b.t.Fatal(err)
	}
	return fmt.Sprint(s.Spec.Selector)
}

// deployment is a Deployment's image and replicas, "" when it is gone.
func (b *e2eBG) deployment(name string) string {
	b.t.Helper()
	d, err := b.clients.Typed.AppsV1().Deployments(b.ns).Get(b.t.Context(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ""
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return fmt.Sprintf("%s x%d selector %v", d.Spec.Template.Spec.Containers[0].Image, *d.Spec.Replicas, d.Spec.Selector.MatchLabels)
}

// watchSelector records every selector the live Service has from now on.
func (b *e2eBG) watchSelector() (stop func() []string) {
	ctx, cancel := context.WithCancel(b.t.Context())
	w, err := b.clients.Typed.CoreV1().Services(b.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=app"})
	if err != nil {
		b.t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range w.ResultChan() {
			if e.Type != watch.Added && e.Type != watch.Modified {
				continue
			}
			sel := fmt.Sprint(serviceSelector(e.Object))
			mu.Lock()
			if len(seen) == 0 || seen[len(seen)-1] != sel {
				seen = append(seen, sel)
			}
			mu.Unlock()
		}
	}()
	return func() []string {
		cancel()
		w.Stop()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// TestE2EBlueGreenGoodSwitchesAndRemovesTheOldColor: v1 is the first
// release (blue); v2 runs as green beside it, is checked through the
// preview, the live Service switches to green, blue is kept for the delay
// and then removed, exit 0; live clients saw no error and v2 after the
// switch.
func TestE2EBlueGreenGoodSwitchesAndRemovesTheOldColor(t *testing.T) {
	b := newE2E(t, "bg-good-")
	out, ev := b.deploy(b.write("v1", "0", "BlueGreen", allGates))
	b.expect(out, ev, 0)
	if got := b.deployment("app-blue"); !strings.HasPrefix(got, "app:v1 x3") {
		t.Fatalf("first release: app-blue = %q", got)
	}
	stop := b.client.start(t)
	out, ev = b.deploy(b.write("v2", "0", "BlueGreen", allGates))
	stop()
	b.expect(out, ev, 0)
	if got := b.selector(); got != "map[app:app kship.dev/color:green]" {
		t.Errorf("live selector after the release: %s", got)
	}
	if got := b.deployment("app-blue"); got != "" {
		t.Errorf("the old color is still there: %s", got)
	}
	if got := b.deployment("app-green"); !strings.HasPrefix(got, "app:v2 x3") {
		t.Errorf("app-green = %q", got)
	}
	sw, ok := ev.switches()
	if !ok || len(sw) != 1 || sw[0].Back {
		t.Fatalf("switches %+v, want one to green\n%s", sw, ev.text())
	}
	removed, ok := ev.decision("app-blue removed")
	if !ok || removed.Sub(sw[0].At) < 15*time.Second {
		t.Errorf("old color removed %s after the switch, want after the 15s delay", removed.Sub(sw[0].At))
	}
	errShare, n := b.client.errors()
	t.Logf("figure: live clients: %.2f%% errors over %d requests; switch at %s, old color removed %s later", 100*errShare, n, sw[0].At.Format("15:04:05.000"), removed.Sub(sw[0].At).Round(100*time.Millisecond))
	if errShare > 0 {
		t.Errorf("live clients saw %.2f%% errors", 100*errShare)
	}
	if v1, _ := b.client.share("v1", time.Time{}, sw[0].At.Add(-time.Second)); v1 != 1 {
		t.Errorf("before the switch live clients saw v1 in %.1f%% of answers, want 100%%", 100*v1)
	}
	if v2, n := b.client.share("v2", sw[0].At.Add(2*time.Second), time.Now()); v2 != 1 || n == 0 {
		t.Errorf("after the switch live clients saw v2 in %.1f%% of %d answers, want 100%%", 100*v2, n)
	}
}

// TestE2EBlueGreenBadPreviewNeverSwitches: v2 answers 30% errors; its
// gates fail on its pods through the preview, the live Service's selector
// never changes, live clients see no error, exit 3, and blue is as it was.
func TestE2EBlueGreenBadPreviewNeverSwitches(t *testing.T) {
	b := newE2E(t, "bg-badpreview-")
	out, ev := b.deploy(b.write("v1", "0", "BlueGreen", allGates))
	b.expect(out, ev, 0)
	before, blue := b.selector(), b.deployment("app-blue")
	watching := b.watchSelector()
	stop := b.client.start(t)
	out, ev = b.deploy(b.write("v2", "0.3", "BlueGreen", allGates))
	stop()
	seen := watching()
	b.expect(out, ev, 3)
	if !strings.Contains(out.Trigger, "preview of Deployment") || !strings.Contains(out.Trigger, "was never switched") || !strings.Contains(out.Trigger, "gate error-rate failed on the new color's pods") {
		t.Errorf("trigger = %q", out.Trigger)
	}
	if len(seen) != 1 || seen[0] != before {
		t.Errorf("the live Service's selector changed during the release: %v (before: %s)", seen, before)
	}
	if sw, _ := ev.switches(); len(sw) > 0 {
		t.Errorf("switches: %+v", sw)
	}
	if got := b.deployment("app-blue"); got != blue {
		t.Errorf("app-blue: %s, was %s", got, blue)
	}
	if got := b.deployment("app-green"); got != "" {
		t.Errorf("the bad color is left: %s", got)
	}
	errShare, n := b.client.errors()
	v1, _ := b.client.share("v1", time.Time{}, time.Now())
	t.Logf("figure: bad preview: live clients saw %.2f%% errors over %d requests, %.1f%% from v1; selectors seen %v", 100*errShare, n, 100*v1, seen)
	if errShare > 0 || v1 != 1 || n == 0 {
		t.Errorf("live clients saw %.2f%% errors and v1 in %.1f%% of %d answers", 100*errShare, 100*v1, n)
	}
}

// TestE2EBlueGreenBadAfterSwitchSwitchesBack: v2 passes its preview (the
// preSwitch gate only asks that it answers) and fails error-rate once
// live traffic reaches it; kship switches the selector back to blue and
// the rollback removes green, exit 3; the time from the failing
// evaluation to the selector switched back is measured.
func TestE2EBlueGreenBadAfterSwitchSwitchesBack(t *testing.T) {
	b := newE2E(t, "bg-badswitch-")
	out, ev := b.deploy(b.write("v1", "0", "BlueGreen", preAnswers))
	b.expect(out, ev, 0)
	before := b.selector()
	stop := b.client.start(t)
	out, ev = b.deploy(b.write("v2", "0.3", "BlueGreen", preAnswers))
	stop()
	b.expect(out, ev, 3)
	sw, _ := ev.switches()
	if len(sw) != 2 || sw[0].Back || !sw[1].Back {
		t.Fatalf("switches %+v, want to green and back\n%s", sw, ev.text())
	}
	back := sw[1]
	if !strings.Contains(out.Trigger, "after the switch: gate error-rate failed on the new color's pods") || !strings.Contains(out.Trigger, "switched back to") {
		t.Errorf("trigger = %q", out.Trigger)
	}
	if got := b.selector(); got != before {
		t.Errorf("live selector after the release: %s, want %s", got, before)
	}
	if got := b.deployment("app-green"); got != "" {
		t.Errorf("the bad color is left: %s", got)
	}
	lastV2 := b.client.last("v2")
	t.Logf("figure: bad after switch: failing evaluation %s → selector switched back %s: %s; last live answer from v2 %s after the failing evaluation",
		back.Failed.Format("15:04:05.000"), back.At.Format("15:04:05.000"), back.Took.Round(time.Millisecond), lastV2.Sub(back.Failed).Round(10*time.Millisecond))
	if back.Took.Duration <= 0 || back.Took.Duration > 5*time.Second {
		t.Errorf("switched back %s after the failing evaluation, want within seconds", back.Took)
	}
	if !strings.Contains(ev.text(), "switched back: Service") {
		t.Errorf("no switch-back decision in the events")
	}
	errShare, n := b.client.errors()
	t.Logf("figure: live clients saw %.2f%% errors over %d requests (v2 answered live for %s)", 100*errShare, n, back.At.Sub(sw[0].At).Round(100*time.Millisecond))
}

// TestE2EBlueGreenMigratesARollingReleaseAndRollsBackExactly: v1 was
// released RollingUpdate; v2 BlueGreen migrates it (the live Service
// first selects v1's pods by their pod-template-hash, then switches to
// blue), app removed, exit 0, no live error; kship rollback restores
// revision 1 exactly: Deployment app, its replicas, the Service's
// selector, app-blue gone.
func TestE2EBlueGreenMigratesARollingReleaseAndRollsBackExactly(t *testing.T) {
	b := newE2E(t, "bg-migrate-")
	out, ev := b.deploy(b.write("v1", "0", "RollingUpdate", ""))
	b.expect(out, ev, 0)
	rolling, sel := b.deployment("app"), b.selector()
	file := b.write("v2", "0", "BlueGreen", allGates)
	p, err := release.Prepare(t.Context(), release.PrepareOptions{ReleaseFile: file, Clients: b.clients, EvidenceDir: filepath.Join(b.dir, "evidence"), Catalog: cli.Catalog(), ReadHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	steps := strings.Join(p.Plan.Strategy, "\n")
	t.Logf("plan steps:\n%s", steps)
	for _, want := range []string{"migrate from RollingUpdate", "gets pod-template-hash: ", "create Deployment " + b.ns + "/app-blue", "remove Deployment " + b.ns + "/app;"} {
		if !strings.Contains(steps, want) {
			t.Errorf("plan steps lack %q", want)
		}
	}
	if p.Report.Blocking() {
		t.Fatalf("check blocks: %+v", p.Report.Checks)
	}
	watching := b.watchSelector()
	stop := b.client.start(t)
	out, ev = b.deploy(file)
	stop()
	seen := watching()
	b.expect(out, ev, 0)
	t.Logf("selectors seen: %v", seen)
	if len(seen) != 3 || !strings.Contains(seen[1], "pod-template-hash:") || seen[2] != "map[app:app kship.dev/color:blue]" {
		t.Errorf("selectors %v, want the old, the old by hash, blue", seen)
	}
	if got := b.deployment("app"); got != "" {
		t.Errorf("the rolling Deployment is left: %s", got)
	}
	errShare, n := b.client.errors()
	t.Logf("figure: migration: live clients saw %.2f%% errors over %d requests", 100*errShare, n)
	if errShare > 0 {
		t.Errorf("live clients saw errors during the migration")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	stop = b.client.start(t)
	rb, err := release.Rollback(ctx, release.RollbackOptions{Name: "app", Namespace: b.ns, RunOptions: release.RunOptions{Clients: b.clients, EvidenceDir: filepath.Join(b.dir, "evidence"), Sink: &events{}, Catalog: cli.Catalog(), Version: "e2e"}})
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if rb.ExitCode != 0 {
		t.Fatalf("rollback: exit %d: %s", rb.ExitCode, rb.Summary)
	}
	if got := b.deployment("app"); got != rolling {
		t.Errorf("after the rollback: app = %q, want %q", got, rolling)
	}
	if got := b.selector(); got != sel {
		t.Errorf("after the rollback: selector %s, want %s", got, sel)
	}
	if got := b.deployment("app-blue"); got != "" {
		t.Errorf("after the rollback app-blue is left: %s", got)
	}
	errShare, n = b.client.errors()
	t.Logf("figure: kship rollback to the rolling revision: live clients saw %.2f%% errors over %d requests", 100*errShare, n)
	if errShare > 0 || n == 0 {
		t.Errorf("live clients saw %.2f%% errors over %d requests during the rollback to the rolling revision, want none", 100*errShare, n)
	}
}

// TestE2EBlueGreenRollbackRestoresThePreviousColor: after blue (v1) and
// green (v2), kship rollback restores revision 1 exactly: app-blue with
// v1 and its replicas, both Services selecting blue, app-green gone; and
// it moves live traffic as a release does: app-blue is started beside
// green and Available before the live Service switches to it, so live
// clients see no error (they saw 9% when the selector switched first).
func TestE2EBlueGreenRollbackRestoresThePreviousColor(t *testing.T) {
	b := newE2E(t, "bg-rollback-")
	out, ev := b.deploy(b.write("v1", "0", "BlueGreen", allGates))
	b.expect(out, ev, 0)
	blue, sel := b.deployment("app-blue"), b.selector()
	out, ev = b.deploy(b.write("v2", "0", "BlueGreen", allGates))
	b.expect(out, ev, 0)
	green := b.selector()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	watching := b.watchSelector()
	stop := b.client.start(t)
	rbEv := &events{}
	rb, err := release.Rollback(ctx, release.RollbackOptions{Name: "app", Namespace: b.ns, RunOptions: release.RunOptions{Clients: b.clients, EvidenceDir: filepath.Join(b.dir, "evidence"), Sink: rbEv, Catalog: cli.Catalog(), Version: "e2e"}})
	stop()
	seen := watching()
	if err != nil || rb.ExitCode != 0 {
		t.Fatalf("rollback: %v %+v\n%s", err, rb, rbEv.text())
	}
	if got := b.deployment("app-blue"); got != blue {
		t.Errorf("app-blue = %q, want %q", got, blue)
	}
	if got := b.selector(); got != sel {
		t.Errorf("selector %s, want %s", got, sel)
	}
	prev, err := b.clients.Typed.CoreV1().Services(b.ns).Get(t.Context(), "app-preview", metav1.GetOptions{})
	if err != nil || prev.Spec.Selector[bluegreen.ColorLabel] != bluegreen.Blue {
		t.Errorf("preview after the rollback: %v %v", err, prev)
	}
	if got := b.deployment("app-green"); got != "" {
		t.Errorf("app-green is left: %s", got)
	}
	if len(seen) != 2 || seen[0] != green || seen[1] != sel {
		t.Errorf("selectors seen during the rollback %v, want %s then %s", seen, green, sel)
	}
	available, ok := rbEv.decision("app-blue of revision 1 is Available beside")
	sw, _ := rbEv.switches()
	if !ok || len(sw) != 1 || sw[0].At.Before(available) {
		t.Errorf("want app-blue Available, then one switch; Available at %s (%v), switches %+v\n%s", available.Format("15:04:05.000"), ok, sw, rbEv.text())
	}
	errShare, n := b.client.errors()
	v2, _ := b.client.share("v2", time.Time{}, time.Now())
	t.Logf("figure: kship rollback green → blue: live clients saw %.2f%% errors over %d requests (%.1f%% answered by v2, the rest by v1)", 100*errShare, n, 100*v2)
	if errShare > 0 || n == 0 {
		t.Errorf("live clients saw %.2f%% errors over %d requests during the rollback, want none", 100*errShare, n)
	}
}

// events records the run's events.
type events struct {
	mu  sync.Mutex
	all []event.Event
}

func (e *events) Emit(ev event.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) text() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, ev := range e.all {
		fmt.Fprintf(&b, "%s %s %s %s\n", ev.Time.Format("15:04:05.000"), ev.Stage, ev.Type, ev.Message)
	}
	return b.String()
}

func (e *events) switches() ([]bluegreen.Switch, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []bluegreen.Switch
	for _, ev := range e.all {
		if sw, ok := ev.Data.(bluegreen.Switch); ok {
			out = append(out, sw)
		}
	}
	return out, len(out) > 0
}

func (e *events) decision(substr string) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.all {
		if (ev.Type == event.TypeDecision || ev.Type == event.TypeBlueGreenStep) && strings.Contains(ev.Message, substr) {
			return ev.Time, true
		}
	}
	return time.Time{}, false
}

// client sends requests through the ingress every 20 ms and records which
// version answered and how.
type client struct {
	url, host string
	mu        sync.Mutex
	seen      []answer
}

type answer struct {
	at      time.Time
	version string
	code    int
}

func (c *client) start(t *testing.T) (stop func()) {
	c.mu.Lock()
	c.seen = nil
	c.mu.Unlock()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		hc := &http.Client{Timeout: 2 * time.Second}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
			req.Host = c.host
			a := answer{at: time.Now()}
			resp, err := hc.Do(req)
			if err == nil {
				a.version, a.code = resp.Header.Get("X-Demo-Version"), resp.StatusCode
				resp.Body.Close()
			}
			if ctx.Err() != nil {
				return
			}
			c.mu.Lock()
			c.seen = append(c.seen, a)
			c.mu.Unlock()
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// share is the share of answers in [from, to] that version gave.
func (c *client) share(version string, from, to time.Time) (float64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, v := 0, 0
	for _, a := range c.seen {
		if a.at.Before(from) || a.at.After(to) {
			continue
		}
		n++
		if a.version == version {
			v++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(v) / float64(n), n
}

// last is when version last answered.
func (c *client) last(version string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var t time.Time
	for _, a := range c.seen {
		if a.version == version {
			t = a.at
		}
	}
	return t
}

// errors is the share of requests that did not get a 2xx answer.
func (c *client) errors() (float64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	bad := 0
	for _, a := range c.seen {
		if a.code < 200 || a.code > 299 {
			bad++
		}
	}
	if len(c.seen) == 0 {
		return 0, 0
	}
	return float64(bad) / float64(len(c.seen)), len(c.seen)
}

func serviceSelector(o any) map[string]string {
	if s, ok := o.(*corev1.Service); ok {
		return s.Spec.Selector
	}
	return nil
}

// TestE2EBlueGreenManualPromotion: with autoPromote: false, v2 runs as
// green behind the preview, passes it and the run ends paused (exit 6)
// with the live Service still on blue; kship status says the preview is
// ready and waits for promote; kship promote switches and removes blue
// (exit 0). Then v3, paused the same way, is aborted: the new color is
// removed, the live Service never changed, exit 3. Live clients see no
// error throughout.
func TestE2EBlueGreenManualPromotion(t *testing.T) {
	b := newE2E(t, "bg-manual-")
	const manual = "\n      autoPromote: false"
	out, ev := b.deploy(b.write("v1", "0", "BlueGreen", allGates))
	b.expect(out, ev, 0)
	blue := b.selector()
	out, ev = b.deploy(b.write("v2", "0", "BlueGreen", allGates+manual))
	b.expect(out, ev, 6)
	if got := b.selector(); got != blue {
		t.Fatalf("paused: live selector %s, want %s", got, blue)
	}
	if got := b.deployment("app-green"); !strings.HasPrefix(got, "app:v2 x3") {
		t.Fatalf("paused: app-green = %q", got)
	}
	st, err := release.Status(t.Context(), b.clients, b.ns, "app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("status: %s: %s", st.State, st.Message)
	if st.State != "paused" || !strings.Contains(st.Message, "preview ready, waiting for promote") || st.Paused == nil || len(st.Paused.Workloads) != 2 {
		t.Errorf("status %s: %s (%+v)", st.State, st.Message, st.Paused)
	}
	cont := func(abort bool) *event.Outcome {
		ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
		defer cancel()
		o := release.ContinueOptions{Name: "app", Namespace: b.ns, RunOptions: release.RunOptions{Clients: b.clients, EvidenceDir: filepath.Join(b.dir, "evidence"), Sink: &events{}, Catalog: cli.Catalog(), Version: "e2e"}}
		f := release.Promote
		if abort {
			f = release.Abort
		}
		out, err := f(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	stop := b.client.start(t)
	out = cont(false)
	stop()
	if out.ExitCode != 0 {
		t.Fatalf("promote: exit %d: %s (%s)", out.ExitCode, out.Summary, out.Trigger)
	}
	green := b.selector()
	if green != "map[app:app kship.dev/color:green]" || b.deployment("app-blue") != "" {
		t.Errorf("after promote: selector %s, app-blue %q", green, b.deployment("app-blue"))
	}
	errShare, n := b.client.errors()
	t.Logf("figure: promote: live clients saw %.2f%% errors over %d requests", 100*errShare, n)
	if errShare > 0 || n == 0 {
		t.Errorf("promote: live clients saw %.2f%% errors over %d requests", 100*errShare, n)
	}

	out, ev = b.deploy(b.write("v3", "0", "BlueGreen", allGates+manual))
	b.expect(out, ev, 6)
	watching := b.watchSelector()
	stop = b.client.start(t)
	out = cont(true)
	stop()
	seen := watching()
	if out.ExitCode != 3 {
		t.Fatalf("abort: exit %d: %s", out.ExitCode, out.Summary)
	}
	if len(seen) != 1 || seen[0] != green {
		t.Errorf("abort: selectors seen %v, want only %s", seen, green)
	}
	if got := b.deployment("app-blue"); got != "" {
		t.Errorf("abort: the new color is left: %s", got)
	}
	if got := b.deployment("app-green"); !strings.HasPrefix(got, "app:v2 x3") {
		t.Errorf("abort: app-green = %q", got)
	}
	errShare, n = b.client.errors()
	v2, _ := b.client.share("v2", time.Time{}, time.Now())
	t.Logf("figure: abort: live clients saw %.2f%% errors over %d requests, %.1f%% from v2", 100*errShare, n, 100*v2)
	if errShare > 0 || v2 != 1 {
		t.Errorf("abort: live clients saw %.2f%% errors, v2 in %.1f%% of %d answers", 100*errShare, 100*v2, n)
	}
}
