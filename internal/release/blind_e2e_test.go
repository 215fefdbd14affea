package release_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
	"github.com/kship/kship/internal/view"
)

// An API-server outage in the middle of the Stabilize window, cut through
// testenv.APIProxy (never the shared server). The deploys run in process
// with a lock TTL of 3 minutes, so an outage longer than the default
// lease's renewal is not a lost lock.

// blindDeploy is a deploy running through the proxy, its plain view in out.
type blindDeploy struct {
	out  *testenv.SyncBuffer
	done chan *event.Outcome
}

// deployVia starts release.Deploy of file with clients through the proxy.
func (r *e2eRelease) deployVia(p *testenv.APIProxy, file string) *blindDeploy {
	r.t.Helper()
	clients, err := kube.NewForConfig(p.RESTConfig(r.env))
	if err != nil {
		r.t.Fatal(err)
	}
	return r.startDeploy(clients, file)
}

// startDeploy starts release.Deploy of file with clients.
func (r *e2eRelease) startDeploy(clients *kube.Clients, file string) *blindDeploy {
	r.t.Helper()
	d := &blindDeploy{out: &testenv.SyncBuffer{}, done: make(chan *event.Outcome, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	r.t.Cleanup(cancel)
	go func() {
		v := view.New(d.out, view.Plain, time.Now())
		out, err := release.Deploy(ctx, release.DeployOptions{ReleaseFile: file, RunOptions: release.RunOptions{Clients: clients, EvidenceDir: r.evidence, Sink: v,
			Catalog: cli.Catalog(), Version: "e2e", LockTTL: 3 * time.Minute}})
		if err != nil {
			r.t.Errorf("deploy %s: %v", file, err)
			d.done <- nil
			return
		}
		v.Result(out, view.Summary("deploy", out))
		d.done <- out
	}()
	return d
}

// wait returns the deploy's outcome.
func (d *blindDeploy) wait(t *testing.T) *event.Outcome {
	t.Helper()
	select {
	case out := <-d.done:
		if out == nil {
			t.Fatalf("deploy failed:\n%s", d.out)
		}
		return out
	case <-time.After(4 * time.Minute):
		t.Fatalf("deploy still running after 4 minutes:\n%s", d.out)
		return nil
	}
}

// waitLine waits until the deploy printed s.
func (d *blindDeploy) waitLine(t *testing.T, timeout time.Duration, s ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, one := range s {
			if strings.Contains(d.out.String(), one) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("deploy did not print %q within %s:\n%s", s, timeout, d.out)
}

// The API server is away for a few seconds mid-stabilize and nothing
// goes wrong: the blind stretch is measured and said (stream, summary,
// evidence.json), what was missed is re-observed, and the release is
// verified.
func TestE2EBlindStabilizeReobserved(t *testing.T) {
	r := newE2ERelease(t, "kship-blind-")
	proxy := r.env.Proxy(t)
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "blind-secret-1111"})), 0)
	r.stabilize = "{window: 40s, interval: 5s}"
	d := r.deployVia(proxy, r.write(e2eApp{version: "v2", secret: "blind-secret-2222"}))
	d.waitLine(t, 3*time.Minute, "watch for 40s")
	proxy.Down()
	d.waitLine(t, time.Minute, "detector blind since")
	proxy.Up()
	out := d.wait(t)
	r.outputs.WriteString(d.out.String())
	r.expect(out, 0)
	text := d.out.String()
	for _, want := range []string{"detector watching again after", "re-observed after the detector's blind stretch", "no container restarted since", "all Ready"} {
		if !strings.Contains(text, want) {
			t.Errorf("the run did not say %q:\n%s", want, text)
		}
	}
	if !checked(out.Checked, "detector: blind") {
		t.Errorf("the outcome does not name the blind stretch: %q", out.Checked)
	}
	b := r.bundleOf(2)
	if !hasEvent(b.Events, event.TypeDetectorBlind) || !hasEvent(b.Events, event.TypeReobserved) || !checked(b.Outcome.Checked, "detector: blind") {
		t.Errorf("evidence.json does not record the blind stretch and the re-observation")
	}
	r.noSecret("blind-secret-1111", "blind-secret-2222")
}

// The API server goes away mid-stabilize, the new pods start crash-looping
// meanwhile and the window ends before it is back: the detector saw
// nothing, the re-observation after the outage finds the restarts, and the
// release is rolled back (exit 3). Before, the window ended "stable" and the
// release was verified (exit 0).
func TestE2EBlindStabilizeCrashLoopCaught(t *testing.T) {
	r := newE2ERelease(t, "kship-blindcrash-")
	proxy := r.env.Proxy(t)
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "blindc-secret-1111"})), 0)
	r.stabilize = "{window: 20s, interval: 5s}"
	d := r.deployVia(proxy, r.write(e2eApp{version: "v2", secret: "blindc-secret-2222"}))
	d.waitLine(t, 3*time.Minute, "watch for 20s")
	proxy.Down()
	r.crashLoop("app:v2")
	// both lines come after the window's end and last until the API server
	// is back: kship re-observing (or, before, the final save retrying)
	d.waitLine(t, 2*time.Minute, "re-listing pods", "trying again")
	proxy.Up()
	out := d.wait(t)
	r.outputs.WriteString(d.out.String())
	r.expect(out, 3)
	if !strings.Contains(out.Trigger, "found after the detector was blind") {
		t.Errorf("trigger %q does not say the failure was found after the blind stretch", out.Trigger)
	}
	if img := r.image(); img != "app:v1" {
		t.Errorf("image after the rollback = %q, want app:v1", img)
	}
	st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Deployed == nil || len(st.Deployed.Images) != 1 || st.Deployed.Images[0] != "app:v1" {
		t.Errorf("status names deployed revision %+v, the app runs %s", st.Deployed, r.image())
	}
	r.noSecret("blindc-secret-1111", "blindc-secret-2222")
}

// crashLoop makes the running pods of image crash-loop (the simulator's
// behavior label, set through the real API server, not the proxy).
func (r *e2eRelease) crashLoop(image string) {
	r.t.Helper()
	pods, err := r.clients.Typed.CoreV1().Pods(r.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=app"})
	if err != nil {
		r.t.Fatal(err)
	}
	n := 0
	patch := []byte(`{"metadata":{"labels":{"sim.kship.dev/behavior":"crashloop"}}}`)
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Spec.Containers[0].Image != image {
			continue
		}
		if _, err := r.clients.Typed.CoreV1().Pods(r.ns).Patch(context.Background(), p.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			r.t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		r.t.Fatalf("no running pod of %s to make crash-loop", image)
	}
}

func checked(list []string, prefix string) bool {
	for _, c := range list {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

func hasEvent(events []event.Event, typ event.Type) bool {
	for _, e := range events {
		if e.Type == typ {
			return true
		}
	}
	return false
}
