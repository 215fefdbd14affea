package record

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/testenv"
)

// benchStore is a Store on the local cluster without client-side throttling.
func benchStore(b *testing.B) (*Store, string) {
	env := testenv.Get(b)
	cfg := *env.RESTConfig
	cfg.QPS, cfg.Burst = 1000, 1000
	cs, err := kubernetes.NewForConfig(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	return &Store{Typed: cs}, testenv.Namespace(b, env, "record-bench-")
}

// bigRelease is the 200-Deployment release of the benchmarks: a
// Deployment, a ConfigMap and a Service each.
func bigRelease() []manifest.Object {
	var objs []manifest.Object
	for i := range 200 {
		name := fmt.Sprintf("svc-%03d", i)
		objs = append(objs,
			obj("ConfigMap", name, map[string]any{"data": map[string]any{"config.yaml": "level: info\nfeature: " + name + "\n"}}),
			obj("Service", name, map[string]any{"spec": map[string]any{"selector": map[string]any{"app": name},
				"ports": []any{map[string]any{"port": int64(80), "targetPort": "http"}}}}),
			obj("Deployment", name, map[string]any{"spec": map[string]any{"replicas": int64(2),
				"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
				"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": name}},
					"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": "registry.example/" + name + ":1.0",
						"ports": []any{map[string]any{"name": "http", "containerPort": int64(8080)}}}}}}}}))
	}
	return objs
}

// BenchmarkE2ESaveBigRelease saves revisions of a 600-object release
// (create, then the outcome update) and reports the stored size.
func BenchmarkE2ESaveBigRelease(b *testing.B) {
	s, ns := benchStore(b)
	objs := bigRelease()
	raw, _ := encodeObjects(objs)
	var stored int
	for b.Loop() {
		rev := &Revision{Release: "big", Namespace: ns, Objects: objs, StartedAt: time.Now()}
		if err := s.Save(b.Context(), rev); err != nil {
			b.Fatal(err)
		}
		rev.Outcome = OutcomeDeployed
		if err := s.Save(b.Context(), rev); err != nil {
			b.Fatal(err)
		}
		data, _ := secretData(rev)
		stored = len(data[keyManifests])
	}
	b.ReportMetric(float64(len(raw)), "manifest-bytes")
	b.ReportMetric(float64(stored), "stored-bytes")
}

// BenchmarkE2ELockRelease takes and releases a release lock.
func BenchmarkE2ELockRelease(b *testing.B) {
	s, ns := benchStore(b)
	for b.Loop() {
		l, err := s.Lock(b.Context(), ns, "web", "bench pid 1", LockOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Release(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
