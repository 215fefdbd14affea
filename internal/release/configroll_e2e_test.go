package release_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/plan"
	"github.com/kship/kship/internal/release"
)

// configApp is one version of the config-roll release: Deployment "app"
// reads ConfigMap app-config through envFrom (DEMO_MESSAGE, which the demo
// app serves on /) and Secret app-secret's TOKEN through env; Deployment
// "reloader" reads the same ConfigMap but opts out of restarts, as a
// workload that reloads its config itself would.
type configApp struct {
	version, message, token string
}

func (r *e2eRelease) writeConfigApp(a configApp) string {
	r.t.Helper()
	dir := filepath.Join(r.dir, a.version)
	if err := os.MkdirAll(filepath.Join(dir, "manifests"), 0o755); err != nil {
		r.t.Fatal(err)
	}
	writeFile(r.t, filepath.Join(dir, "kship.yaml"), fmt.Sprintf(`apiVersion: kship.dev/v1alpha1
kind: Release
metadata: {name: app}
spec:
  namespace: %s
  source: {path: ./manifests}
  verify:
    rolloutTimeout: 2m
    smoke:
      - name: health
        http: {url: "http://%s/healthz", headers: {Host: app.%s}, expectStatus: 200}
        retries: 3
        backoff: 500ms
  stabilize: {window: 0s}
  rollback: {method: auto}
`, r.ns, r.env.Ingress, r.ns))
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {DEMO_VERSION: config-roll, DEMO_MESSAGE: %q}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
stringData: {TOKEN: %q}
`, a.message, a.token)
	for _, name := range []string{"app", "reloader"} {
		optOut, secretEnv := "", "\n          env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: app-secret, key: TOKEN}}}]"
		if name == "reloader" {
			optOut, secretEnv = `, annotations: {kship.dev/restart-on-config-change: "false"}`, ""
		}
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: Service
metadata: {name: %[1]s}
spec:
  selector: {app: %[1]s}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s%[2]s}
spec:
  replicas: 2
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
        - name: app
          image: app:1
          ports: [{name: http, containerPort: 8080}]
          envFrom: [{configMapRef: {name: app-config}}]%[3]s
          resources: {requests: {cpu: 10m, memory: 16Mi}}
`, name, optOut, secretEnv)
	}
	writeFile(r.t, filepath.Join(dir, "manifests", "app.yaml"), b.String())
	return filepath.Join(dir, "kship.yaml")
}

// served asks the ingress for Service svc's / n times and returns each
// answer's message= line ("" when it had none, or an error).
func (r *e2eRelease) served(svc string, n int) []string {
	r.t.Helper()
	var out []string
	for range n {
		out = append(out, r.message(svc))
	}
	return out
}

func (r *e2eRelease) message(svc string) string {
	req, err := http.NewRequest(http.MethodGet, "http://"+r.env.Ingress+"/", nil)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Host = svc + "." + r.ns
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if m, ok := strings.CutPrefix(line, "message="); ok {
			return m
		}
	}
	return fmt.Sprintf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
}

// allServe fails unless every one of 12 answers of svc is message.
func (r *e2eRelease) allServe(when, svc, message string) {
	r.t.Helper()
	got := r.served(svc, 12)
	for _, m := range got {
		if m != message {
			r.t.Fatalf("%s: %s serves %q, want %q from every pod (answers: %q)", when, svc, m, message, got)
		}
	}
}

// podNames lists the names of the running, not terminating pods of app.
func (r *e2eRelease) podNames(app string) []string {
	r.t.Helper()
	pods, err := r.clients.Typed.CoreV1().Pods(r.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p.Name)
		}
	}
	slices.Sort(out)
	return out
}

// watchServed polls svc through the ingress every 100 ms until stop is
// called, and returns when it first served message (zero if never).
func (r *e2eRelease) watchServed(svc, message string) (stop func() time.Time) {
	var first time.Time
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if m := r.message(svc); m == message {
					mu.Lock()
					if first.IsZero() {
						first = time.Now()
					}
					mu.Unlock()
				}
			}
		}
	}()
	return func() time.Time {
		close(done)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return first
	}
}

func (r *e2eRelease) planOnly(file string) *release.Prepared {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := release.PlanOnly(ctx, release.PrepareOptions{ReleaseFile: file, Clients: r.clients, EvidenceDir: r.evidence,
		ReadHistory: true, Catalog: cli.Catalog(), ToolVersion: "e2e"})
	if err != nil {
		r.t.Fatalf("plan %s: %v", file, err)
	}
	return p
}

// restartLines are the plan's restarts as the views print them.
func restartLines(p *release.Prepared) []string {
	var out []string
	for _, rs := range p.Plan.Restarts {
		out = append(out, rs.String())
	}
	return out
}

// Issue 9's acceptance: a ConfigMap-only change restarts the consuming
// pods, and the ingress serves the new value before kship exits 0; a
// Secret-only change restarts them too; kship rollback serves the old
// value again. The opted-out Deployment, never restarted, keeps serving
// the value it started with: without the digest, a config change does
// not take effect, so this test fails without it.
func TestE2EConfigChangesRoll(t *testing.T) {
	r := newE2ERelease(t, "kship-cfgroll-")
	v1 := configApp{version: "v1", message: "hello from v1", token: "tok-v1-5e1f0a"}
	v2 := configApp{version: "v2", message: v1.message, token: "tok-v2-93c2d7"}
	v3 := configApp{version: "v3", message: "hello from v3", token: v2.token}

	f1 := r.writeConfigApp(v1)
	if lines := restartLines(r.planOnly(f1)); len(lines) != 0 {
		t.Errorf("a first release's plan names restarts: %q", lines)
	}
	r.expect(r.deploy(f1), 0)
	r.allServe("after v1", "app", v1.message)
	r.allServe("after v1", "reloader", v1.message)
	reloaderPods := r.podNames("reloader")

	// v2 changes only the Secret: app reads TOKEN, so it restarts.
	f2 := r.writeConfigApp(v2)
	want := []string{fmt.Sprintf("Deployment %s/app restarts: Secret %s/app-secret changed (env TOKEN)", r.ns, r.ns)}
	if lines := restartLines(r.planOnly(f2)); !slices.Equal(lines, want) {
		t.Errorf("plan of a Secret-only change: restarts %q, want %q", lines, want)
	}
	before := r.podNames("app")
	r.expect(r.deploy(f2), 0)
	if after := r.podNames("app"); slices.ContainsFunc(after, func(p string) bool { return slices.Contains(before, p) }) {
		t.Errorf("after a Secret-only change app still runs pods %v of %v", after, before)
	}

	// v3 changes only the ConfigMap.
	f3 := r.writeConfigApp(v3)
	p3 := r.planOnly(f3)
	want = []string{fmt.Sprintf("Deployment %s/app restarts: ConfigMap %s/app-config changed (envFrom)", r.ns, r.ns)}
	if lines := restartLines(p3); !slices.Equal(lines, want) {
		t.Errorf("plan of a ConfigMap-only change: restarts %q, want %q", lines, want)
	}
	md, err := os.ReadFile(filepath.Join(p3.EvidenceDir, "rollout-plan.md"))
	if err != nil || !strings.Contains(string(md), "- "+want[0]+"\n") {
		t.Errorf("rollout-plan.md (%v) lacks the restart line %q", err, want[0])
	}
	var pj plan.Plan
	js, err := os.ReadFile(filepath.Join(p3.EvidenceDir, "plan.json"))
	if err == nil {
		err = json.Unmarshal(js, &pj)
	}
	if err != nil || len(pj.Restarts) != 1 || pj.Restarts[0].String() != want[0] {
		t.Errorf("plan.json (%v) restarts %+v, want %q", err, pj.Restarts, want[0])
	}
	before = r.podNames("app")
	stop := r.watchServed("app", v3.message)
	out := r.deploy(f3)
	exited := time.Now()
	first := stop()
	r.expect(out, 0)
	if first.IsZero() || !first.Before(exited) {
		t.Fatalf("the ingress served %q first at %v, kship exited 0 at %v: the new value was not served before exit 0", v3.message, first, exited)
	}
	t.Logf("the new value was served %v before kship exited 0", exited.Sub(first).Round(time.Millisecond))
	r.allServe("after the ConfigMap-only change", "app", v3.message)
	if after := r.podNames("app"); slices.ContainsFunc(after, func(p string) bool { return slices.Contains(before, p) }) {
		t.Errorf("after a ConfigMap-only change app still runs pods %v of %v", after, before)
	}
	// The opted-out Deployment was never restarted: it still serves the
	// value it started with, as every workload did before kship stamped.
	if got := r.podNames("reloader"); !slices.Equal(got, reloaderPods) {
		t.Errorf("the opted-out reloader's pods changed: %v, were %v", got, reloaderPods)
	}
	r.allServe("after the ConfigMap-only change", "reloader", v1.message)

	// kship rollback restores revision 2: its ConfigMap and the template
	// stamped with its digest, so the pods roll back to the old value.
	r.expect(r.rollback(release.RollbackOptions{}), 0)
	r.allServe("after kship rollback", "app", v1.message)
	if cm := r.configMap("app-config"); cm["DEMO_MESSAGE"] != v1.message {
		t.Errorf("after kship rollback the ConfigMap holds %q", cm["DEMO_MESSAGE"])
	}
	r.noSecret(v1.token, v2.token)
}
