package release_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
	"github.com/kship/kship/internal/view"
)

// e2eApp is one version of the test application: a Deployment "app" with
// env from a ConfigMap and a Secret, a Service with load, extra ConfigMaps.
type e2eApp struct {
	version    string
	behavior   string // sim.kship.dev/behavior of the pods
	errorRate  string // DEMO_ERROR_RATE
	healthFail bool   // DEMO_HEALTH_FAIL
	extra      []string
	secret     string
}

// e2eRelease is a release under test in its own namespace.
type e2eRelease struct {
	t        *testing.T
	env      *testenv.Env
	clients  *kube.Clients
	ns       string
	dir      string
	evidence string
	// spec parts
	smokeURL  string
	gates     string
	stabilize string
	timeout   string
	method    string
	// outputs holds every byte the views printed, for the Secret check.
	outputs bytes.Buffer
}

func newE2ERelease(t *testing.T, prefix string) *e2eRelease {
	t.Helper()
	env := testenv.Get(t)
	clients, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	r := &e2eRelease{t: t, env: env, clients: clients, ns: testenv.Namespace(t, env, prefix), dir: t.TempDir(),
		timeout: "3m", method: "auto"}
	r.evidence = filepath.Join(r.dir, "evidence")
	r.smokeURL = "http://" + env.Ingress + "/healthz"
	return r
}

// errorRateGate is the demo's error-rate gate for the release's namespace.
func (r *e2eRelease) errorRateGate() string { return r.errorRateGateAt(r.env.Prometheus) }

// errorRateGateAt is errorRateGate asking the Prometheus at address.
func (r *e2eRelease) errorRateGateAt(address string) string {
	return fmt.Sprintf(`
    metrics:
      prometheus: {address: %q}
      gates:
        - name: error-rate
          query: (sum(rate(http_requests_total{namespace=%q,app="app",code=~"5.."}[15s])) or vector(0)) / sum(rate(http_requests_total{namespace=%q,app="app"}[15s]))
          max: 0.05
          noData: inconclusive`, address, r.ns, r.ns)
}

// write renders one version into its folder and returns the release file.
func (r *e2eRelease) write(a e2eApp) string {
	r.t.Helper()
	return r.env.WriteDemo(r.t, filepath.Join(r.dir, a.version), testenv.DemoRelease{Namespace: r.ns, RolloutTimeout: r.timeout,
		SmokeURL: r.smokeURL, Verify: r.gates, Stabilize: r.stabilize, Rollback: r.method, RestartThreshold: 2},
		testenv.DemoApp{Version: a.version, Replicas: 2, Behavior: a.behavior, ErrorRate: a.errorRate, HealthFail: a.healthFail,
			Secret: a.secret, Load: true, ConfigMaps: a.extra})
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// deploy runs release.Deploy with a JSON-lines view into r.outputs.
func (r *e2eRelease) deploy(file string, opts ...func(*release.DeployOptions)) *event.Outcome {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	v := view.New(&r.outputs, view.JSON, time.Now())
	o := release.DeployOptions{ReleaseFile: file, RunOptions: release.RunOptions{Clients: r.clients, EvidenceDir: r.evidence, Sink: v, Catalog: cli.Catalog(), Version: "e2e"}}
	for _, f := range opts {
		f(&o)
	}
	out, err := release.Deploy(ctx, o)
	if err != nil {
		r.t.Fatalf("deploy %s: %v", file, err)
	}
	v.Result(out, view.Summary("deploy", out))
	return out
}

// expect fails the test unless the outcome has the exit code.
func (r *e2eRelease) expect(out *event.Outcome, code int) {
	r.t.Helper()
	if out.ExitCode != code {
		r.t.Fatalf("exit %d (%s): %s; trigger %q; want exit %d", out.ExitCode, out.Verdict, out.Summary, out.Trigger, code)
	}
}

// image is the live Deployment's image ("" when it does not exist).
func (r *e2eRelease) image() string {
	d, err := r.clients.Typed.AppsV1().Deployments(r.ns).Get(context.Background(), "app", metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

// configMap returns a live ConfigMap's data, nil when it does not exist.
func (r *e2eRelease) configMap(name string) map[string]string {
	cm, err := r.clients.Typed.CoreV1().ConfigMaps(r.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return cm.Data
}

func (r *e2eRelease) secretValue() string {
	s, err := r.clients.Typed.CoreV1().Secrets(r.ns).Get(context.Background(), "app-secret", metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return string(s.Data["TOKEN"])
}

// noSecret fails when a Secret value appears in any evidence file or in
// anything the views printed.
func (r *e2eRelease) noSecret(values ...string) {
	r.t.Helper()
	out := r.outputs.String()
	err := filepath.Walk(r.evidence, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, v := range values {
			if bytes.Contains(data, []byte(v)) {
				r.t.Errorf("Secret value %q appears in %s", v, path)
			}
		}
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, v := range values {
		if strings.Contains(out, v) {
			r.t.Errorf("Secret value %q appears in the output", v)
		}
	}
}
