//go:build bench

package apply_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kship/kship/internal/apply"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/testenv"
	"github.com/kship/kship/internal/wait"
)

// counter counts the HTTP requests a client makes, by verb.
type counter struct {
	mu     sync.Mutex
	byVerb map[string]int
	total  int
}

func (c *counter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		verb := r.Method
		if r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1" {
			verb = "WATCH"
		}
		c.mu.Lock()
		c.byVerb[verb]++
		c.total++
		c.mu.Unlock()
		return rt.RoundTrip(r)
	})
}

func (c *counter) take() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for v, n := range c.byVerb {
		parts = append(parts, fmt.Sprintf("%s=%d", v, n))
	}
	n := c.total
	c.total, c.byVerb = 0, map[string]int{}
	return n, strings.Join(parts, " ")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// bigRelease renders n Deployments (2 replicas each) with a ConfigMap and
// a Service each.
func bigRelease(ns string, n int, image string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-%[2]d, namespace: %[1]s}
data: {index: "%[2]d"}
---
apiVersion: v1
kind: Service
metadata: {name: app-%[2]d, namespace: %[1]s}
spec: {selector: {app: app-%[2]d}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app-%[2]d, namespace: %[1]s}
spec:
  replicas: 2
  selector: {matchLabels: {app: app-%[2]d}}
  template:
    metadata: {labels: {app: app-%[2]d}}
    spec:
      containers: [{name: app, image: %[3]q, envFrom: [{configMapRef: {name: app-%[2]d}}]}]
`, ns, i, image)
	}
	return b.String()
}

// TestApplyWaitRequests measures apply + wait of a release of
// KSHIP_BENCH_N (default 200) Deployments with a ConfigMap and a Service
// each: wall time and API requests, for the install and an image update.
// KSHIP_BENCH_WORKERS sets the apply concurrency; KSHIP_BENCH_APPLY_ONLY=1
// skips the waits. Built only with -tags bench.
func TestApplyWaitRequests(t *testing.T) {
	n := 200
	if v, err := strconv.Atoi(os.Getenv("KSHIP_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	workers, _ := strconv.Atoi(os.Getenv("KSHIP_BENCH_WORKERS"))
	env := testenv.Get(t)
	ns := testenv.Namespace(t, env, "bench-big-")
	cnt := &counter{byVerb: map[string]int{}}
	cfg := rest.CopyConfig(env.RESTConfig)
	cfg.WrapTransport = cnt.wrap
	c, err := kube.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := &apply.Applier{Clients: c, Workers: workers}
	w := &wait.Waiter{Clients: c}
	for _, step := range []string{"demo:v1", "demo:v2"} {
		objs := decode(t, bigRelease(ns, n, step))
		refs := make([]manifest.Ref, len(objs))
		for i, o := range objs {
			refs[i] = o.Ref()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		start := time.Now()
		cs, err := a.Apply(ctx, objs, apply.Options{})
		applied := time.Since(start)
		applyReqs, applyVerbs := cnt.take()
		if err != nil {
			cancel()
			t.Fatalf("apply: %v", err)
		}
		if os.Getenv("KSHIP_BENCH_APPLY_ONLY") == "1" {
			fmt.Printf("%d Deployments %s workers=%d: apply %s (%d requests: %s; %v)\n", n, step, a.Workers, applied.Round(time.Millisecond), applyReqs, applyVerbs, cs.Counts())
			cancel()
			continue
		}
		_, err = w.Wait(ctx, refs, wait.Options{Timeout: 8 * time.Minute})
		total := time.Since(start)
		waitReqs, waitVerbs := cnt.take()
		cancel()
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
		fmt.Printf("%d Deployments %s workers=%d: apply %s (%d requests: %s; %v), apply+wait %s; wait requests %d (%s); total requests %d\n",
			n, step, a.Workers, applied.Round(time.Millisecond), applyReqs, applyVerbs, cs.Counts(),
			total.Round(time.Millisecond), waitReqs, waitVerbs, applyReqs+waitReqs)
	}
}
