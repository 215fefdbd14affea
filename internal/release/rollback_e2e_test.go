package release_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/view"
)

// A crash-looping revision is rolled back and everything of the previous
// revision comes back: image, ConfigMap, Secret, the object it pruned; the
// object it added is deleted; no Secret value is printed or written.
func TestE2ECrashLoopRollsBackEverything(t *testing.T) {
	r := newE2ERelease(t, "kship-rb-")
	v1 := e2eApp{version: "v1", secret: "s3cret-value-one-83ad", extra: []string{"only-v1"}}
	v2 := e2eApp{version: "v2", secret: "s3cret-value-two-19fe", extra: []string{"only-v2"}, behavior: "crashloop"}
	r.expect(r.deploy(r.write(v1)), 0)
	start := time.Now()
	out := r.deploy(r.write(v2))
	r.expect(out, 3)
	t.Logf("crashloop detected and rolled back in %s: %s", time.Since(start).Round(time.Millisecond), out.Trigger)
	if !strings.Contains(out.Trigger, "CrashLoopBackOff") || !strings.Contains(out.Trigger, "pod app-") {
		t.Errorf("trigger does not name the pod and reason: %q", out.Trigger)
	}
	if img := r.image(); img != "app:v1" {
		t.Errorf("image after rollback = %q, want app:v1", img)
	}
	if v := r.configMap("app-config")["DEMO_VERSION"]; v != "v1" {
		t.Errorf("ConfigMap after rollback has DEMO_VERSION=%q, want v1", v)
	}
	if r.secretValue() != v1.secret {
		t.Errorf("Secret after rollback is not v1's")
	}
	if r.configMap("only-v1") == nil {
		t.Errorf("ConfigMap only-v1, pruned by v2, was not recreated")
	}
	if r.configMap("only-v2") != nil {
		t.Errorf("ConfigMap only-v2, added by v2, was not deleted")
	}
	for _, f := range []string{"rollout-plan.md", "release-checklist.md", evidence.EvidenceFile, evidence.RollbackFile, evidence.ReportFile} {
		if _, err := os.Stat(filepath.Join(out.EvidenceDir, f)); err != nil {
			t.Errorf("evidence file missing: %v", err)
		}
	}
	r.noSecret(v1.secret, v2.secret)
}

// Each trigger rolls a bad second revision back to the first.
func TestE2ETriggersRollBack(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(r *e2eRelease) // before v1
		bad2    func(r *e2eRelease) // before v2
		bad     e2eApp
		trigger string
	}{
		{name: "imagepullbackoff", bad: e2eApp{behavior: "imagepullbackoff"}, trigger: "Image"},
		{name: "timeout", setup: func(r *e2eRelease) { r.timeout = "6s" }, bad: e2eApp{behavior: "unready"}, trigger: "timed out"},
		{name: "smoke failure", bad: e2eApp{healthFail: true}, trigger: "smoke check health failed"},
		{name: "gate on real traffic", setup: func(r *e2eRelease) {
			// v1 needs a window: right after its first rollout Prometheus has
			// no samples yet (inconclusive), a few scrapes later it passes.
			r.gates, r.stabilize = r.errorRateGate(), "{window: 20s, interval: 3s}"
		}, bad: e2eApp{errorRate: "1"}, trigger: "gate error-rate failed"},
		{name: "gate in verify", bad2: func(r *e2eRelease) {
			// v2's own pods fail it; the restored v1 pods (judged by the
			// same gate, scoped to their pod-template-hash) pass it.
			r.gates = fmt.Sprintf(`
    metrics:
      prometheus: {address: %q}
      gates:
        - {name: v2-pods, query: 'count(http_requests_total{namespace=%q,pod_template_hash=~"{{.PodTemplateHash}}",version="v2"}) or vector(0)', max: 0.5}`,
				r.env.Prometheus, r.ns)
		}, trigger: "gate v2-pods failed"},
		{name: "gate in stabilize", bad2: func(r *e2eRelease) {
			// On v2's pods the gate's value is the seconds since v2's
			// release file was written: below its max during Verify, above
			// it a few seconds into Stabilize. On the restored v1 pods it
			// is 0.
			r.gates = fmt.Sprintf(`
    metrics:
      prometheus: {address: %q}
      gates:
        - {name: clock, query: '(vector(time() - %d) and on() count(http_requests_total{namespace=%q,pod_template_hash=~"{{.PodTemplateHash}}",version="v2"}) > 0) or vector(0)', max: 30}`,
				r.env.Prometheus, time.Now().Unix(), r.ns)
			r.stabilize = "{window: 2m, interval: 2s}"
		}, trigger: "gate clock failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newE2ERelease(t, "kship-trig-")
			if c.setup != nil {
				c.setup(r)
			}
			r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "first-secret-7c1e"})), 0)
			bad := c.bad
			bad.version, bad.secret = "v2", "second-secret-a09b"
			if c.bad2 != nil {
				c.bad2(r)
			}
			out := r.deploy(r.write(bad))
			r.expect(out, 3)
			if !strings.Contains(out.Trigger, c.trigger) {
				t.Errorf("trigger %q does not contain %q", out.Trigger, c.trigger)
			}
			if img := r.image(); img != "app:v1" {
				t.Errorf("image after rollback = %q, want app:v1", img)
			}
			r.noSecret("first-secret-7c1e", "second-secret-a09b")
		})
	}
}

// A first release has no previous revision: its rollback deletes what it
// created.
func TestE2EFirstReleaseRollbackRemovesIt(t *testing.T) {
	r := newE2ERelease(t, "kship-first-")
	out := r.deploy(r.write(e2eApp{version: "v1", behavior: "crashloop", secret: "first-only-5d2c", extra: []string{"extra"}}))
	r.expect(out, 3)
	if r.image() != "" || r.configMap("app-config") != nil || r.configMap("extra") != nil || r.secretValue() != "" {
		t.Errorf("objects of the first release remain after its rollback")
	}
	if !strings.Contains(out.Summary, "first revision") {
		t.Errorf("summary %q", out.Summary)
	}
}

// An object that existed before kship's first release of it (adopted,
// not created) survives that release's rollback; what kship created goes.
func TestE2EFirstReleaseRollbackKeepsAdoptedObjects(t *testing.T) {
	r := newE2ERelease(t, "kship-adopt-")
	pre := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "shared", Namespace: r.ns}, Data: map[string]string{"owner": "someone else"}}
	if _, err := r.clients.Typed.CoreV1().ConfigMaps(r.ns).Create(context.Background(), pre, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	file := r.write(e2eApp{version: "v1", behavior: "crashloop", secret: "adopt-4e1f", extra: []string{"shared", "created"}})
	// Another field manager owns shared's data: take it over.
	out := r.deploy(file, func(o *release.DeployOptions) { o.ForceConflicts = true })
	r.expect(out, 3)
	if r.configMap("shared") == nil {
		t.Errorf("the ConfigMap that existed before the release was deleted by its rollback")
	}
	if r.configMap("created") != nil || r.configMap("app-config") != nil {
		t.Errorf("objects the first release created remain after its rollback")
	}
}

// kship rollback --to-revision restores exactly that revision and records
// the rollback as a new revision.
func TestE2EManualRollbackToRevision(t *testing.T) {
	r := newE2ERelease(t, "kship-man-")
	for _, v := range []string{"v1", "v2", "v3"} {
		r.expect(r.deploy(r.write(e2eApp{version: v, secret: "tok-" + v + "-0b7d", extra: []string{"only-" + v}})), 0)
	}
	out := r.rollback(release.RollbackOptions{ToRevision: 1})
	r.expect(out, 0)
	if img := r.image(); img != "app:v1" || r.configMap("only-v1") == nil || r.configMap("only-v3") != nil {
		t.Errorf("after rollback to 1: image %q, only-v1 %v, only-v3 %v", img, r.configMap("only-v1"), r.configMap("only-v3"))
	}
	hist, err := release.History(context.Background(), r.clients, r.ns, "app")
	if err != nil {
		t.Fatal(err)
	}
	if hist[0].Number != 4 || hist[0].Outcome != record.OutcomeDeployed || hist[0].RollbackOf != 3 || hist[1].Outcome != record.OutcomeRolledBack {
		t.Errorf("history after rollback: %+v", hist[:2])
	}
}

// A rollback whose restored revision fails verification exits 4 with the
// manual steps.
func TestE2EFailingRollbackExits4(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	r := newE2ERelease(t, "kship-rb4-")
	r.smokeURL = srv.URL + "/healthz"
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "v1-secret-33aa"})), 0)
	healthy.Store(false) // what revision 1 depends on is gone now
	out := r.deploy(r.write(e2eApp{version: "v2", secret: "v2-secret-44bb", behavior: "crashloop"}))
	r.expect(out, 4)
	if !strings.Contains(out.ManualSteps, "kship rollback app") || !strings.Contains(out.ManualSteps, evidence.RollbackFile) {
		t.Errorf("manual steps %q", out.ManualSteps)
	}
}

// With rollback.method manual, a failed release is not rolled back: exit 4
// and the exact command.
func TestE2EManualMethodStops(t *testing.T) {
	r := newE2ERelease(t, "kship-mm-")
	r.method = "manual"
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "mm-one-0001"})), 0)
	out := r.deploy(r.write(e2eApp{version: "v2", secret: "mm-two-0002", behavior: "crashloop"}))
	r.expect(out, 4)
	if r.image() != "app:v2" || !strings.Contains(out.ManualSteps, fmt.Sprintf("kship rollback app -n %s --to-revision 1", r.ns)) {
		t.Errorf("image %q, manual steps %q", r.image(), out.ManualSteps)
	}
}

// A second deploy while one runs is refused with exit 2 naming the holder.
func TestE2EConcurrentDeployRefused(t *testing.T) {
	r := newE2ERelease(t, "kship-lock-")
	r.stabilize = "{window: 15s, interval: 5s}"
	file := r.write(e2eApp{version: "v1", secret: "lock-secret-77cc"})
	done := make(chan *event.Outcome, 1)
	go func() {
		done <- r.deploy(file, func(o *release.DeployOptions) { o.Holder = "alice@ci-runner-1 pid 4242" })
	}()
	waitFor(t, 60*time.Second, func() bool {
		st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
		return err == nil && st.State == "deploying"
	})
	out := r.deploy(file, func(o *release.DeployOptions) { o.Holder = "bob@laptop pid 99" })
	r.expect(out, 2)
	if !strings.Contains(out.Summary, "alice@ci-runner-1 pid 4242") {
		t.Errorf("refusal does not name the holder: %q", out.Summary)
	}
	if first := <-done; first.ExitCode != 0 {
		t.Errorf("the first deploy ended with exit %d: %s", first.ExitCode, first.Summary)
	}
}

// rollback runs release.Rollback for the release.
func (r *e2eRelease) rollback(o release.RollbackOptions) *event.Outcome {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	v := view.New(&r.outputs, view.JSON, time.Now())
	o.Name, o.Namespace, o.Clients, o.EvidenceDir, o.Sink = "app", r.ns, r.clients, r.evidence, v
	o.Catalog, o.Version = cli.Catalog(), "e2e"
	out, err := release.Rollback(ctx, o)
	if err != nil {
		r.t.Fatalf("rollback: %v", err)
	}
	return out
}

// waitFor checks cond every 200ms until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("condition not met within %s", timeout)
		case <-tick.C:
		}
	}
}

// Two releases must not own one object: a second release of the same
// manifests in the namespace is refused before any write, naming the
// release that owns them.
func TestE2EObjectOfAnotherReleaseRefused(t *testing.T) {
	r := newE2ERelease(t, "kship-own-")
	first := r.write(e2eApp{version: "v1", secret: "own-first-3c9d"})
	r.expect(r.deploy(first), 0)
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(filepath.Dir(first), "other.yaml")
	if err := os.WriteFile(other, []byte(strings.Replace(string(data), "metadata: {name: app}\n", "metadata: {name: other}\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if data2, _ := os.ReadFile(other); !strings.Contains(string(data2), "metadata: {name: other}") {
		t.Fatalf("the second release file does not name release other:\n%s", data2)
	}
	out := r.deploy(other)
	r.expect(out, 2)
	checklist, err := os.ReadFile(filepath.Join(out.EvidenceDir, "release-checklist.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(checklist), "belongs to kship release app (revision 1, deployed)") {
		t.Errorf("the checklist does not name the owning release:\n%s", checklist)
	}
	if r.image() == "" {
		t.Errorf("the first release's Deployment is gone")
	}
}
