package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"
)

func service(t *testing.T, y string) *corev1.Service {
	t.Helper()
	var s corev1.Service
	if err := yaml.UnmarshalStrict([]byte(y), &s); err != nil {
		t.Fatalf("service YAML: %v", err)
	}
	return &s
}

func TestLoadFor(t *testing.T) {
	for y, want := range map[string]Load{
		`metadata: {name: a}`: {},
		`metadata: {name: a, labels: {sim.kship.dev/load: "false"}}`:                                              {},
		`metadata: {name: a, labels: {sim.kship.dev/load: "true"}}`:                                               {RPS: 20, Path: "/"},
		`metadata: {name: a, labels: {sim.kship.dev/load: "true"}, annotations: {sim.kship.dev/rps: "5.5"}}`:      {RPS: 5.5, Path: "/"},
		`metadata: {name: a, labels: {sim.kship.dev/load: "true"}, annotations: {sim.kship.dev/rps: "5000"}}`:     {RPS: MaxRPS, Path: "/"},
		`metadata: {name: a, labels: {sim.kship.dev/load: "true"}, annotations: {sim.kship.dev/rps: "0"}}`:        {},
		`metadata: {name: a, labels: {sim.kship.dev/load: "true"}, annotations: {sim.kship.dev/rps: "lots"}}`:     {RPS: 20, Path: "/"},
		`metadata: {name: a, labels: {sim.kship.dev/load: "true"}, annotations: {sim.kship.dev/load-path: /api}}`: {RPS: 20, Path: "/api"},
	} {
		if got := LoadFor(service(t, y)); got != want {
			t.Errorf("LoadFor(%s) = %+v, want %+v", y, got, want)
		}
	}
}

// TestGeneratorSendsSteadyLoadAndStops runs a real generator against a real
// HTTP server standing in for the ingress.
func TestGeneratorSendsSteadyLoadAndStops(t *testing.T) {
	var mu sync.Mutex
	hosts := map[string]int{}
	var total atomic.Int64
	ingress := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		total.Add(1)
		mu.Lock()
		hosts[r.Host+r.URL.Path]++
		mu.Unlock()
	}))
	defer ingress.Close()
	services := cache.NewSharedIndexInformer(&cache.ListWatch{}, &corev1.Service{}, 0, cache.Indexers{})
	g, err := New(Options{Services: services, Ingress: strings.TrimPrefix(ingress.URL, "http://")})
	if err != nil {
		t.Fatal(err)
	}
	svc := service(t, `metadata: {name: web, namespace: shop, labels: {sim.kship.dev/load: "true"}, annotations: {sim.kship.dev/rps: "50"}}`)
	if err := services.GetIndexer().Add(svc); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g.reconcile(ctx, "shop/web")
	time.Sleep(time.Second) // let the stream run for a second
	if err := services.GetIndexer().Delete(svc); err != nil {
		t.Fatal(err)
	}
	g.reconcile(ctx, "shop/web")
	// A request cancelled by the stop may still reach the server's handler
	// a moment later; let those land before counting.
	time.Sleep(100 * time.Millisecond)
	sent := total.Load()
	if sent < 25 || sent > 60 {
		t.Errorf("one second at 50 rps sent %d requests, want about 50", sent)
	}
	mu.Lock()
	if hosts["web.shop/"] != int(sent) {
		t.Errorf("requests by Host and path: %v, want all to web.shop/", hosts)
	}
	mu.Unlock()
	time.Sleep(200 * time.Millisecond)
	if after := total.Load(); after != sent {
		t.Errorf("%d requests after the Service was deleted, want none", after-sent)
	}
}
