package plan_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/plan"
	"github.com/kship/kship/internal/testenv"
)

// bundle200 is a release of 200 Deployments (2 replicas), each with a
// ConfigMap and a Service: 600 objects, the size of deploy's benchmark.
func bundle200(t testing.TB, ns string) []manifest.Object {
	var b strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-%[1]d, namespace: %[2]s}
data: {k: v}
---
apiVersion: v1
kind: Service
metadata: {name: app-%[1]d, namespace: %[2]s}
spec: {selector: {app: app-%[1]d}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app-%[1]d, namespace: %[2]s}
spec:
  replicas: 2
  selector: {matchLabels: {app: app-%[1]d}}
  template:
    metadata: {labels: {app: app-%[1]d}}
    spec: {containers: [{name: app, image: "demo:v1"}]}
`, i, ns)
	}
	objs, err := manifest.Decode("bench.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// BenchmarkCompute600 plans a first release of 600 objects against the
// local cluster and reports the API requests one plan makes.
func BenchmarkCompute600(b *testing.B) {
	env := testenv.Get(b)
	ns := testenv.Namespace(b, env, "p3c-bench-")
	var requests atomic.Int64
	cfg := rest.CopyConfig(env.RESTConfig)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			requests.Add(1)
			return rt.RoundTrip(r)
		})
	})
	c, err := kube.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	objs := bundle200(b, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := plan.Compute(ctx, c, release(ns), objs, nil); err != nil { // warm discovery
		b.Fatal(err)
	}
	requests.Store(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := plan.Compute(ctx, c, release(ns), objs, nil)
		if err != nil || p.Counts[plan.ActionCreate] != 600 {
			b.Fatalf("plan: %v, counts %v", err, p.Counts)
		}
	}
	b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/plan")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/plan")
}
