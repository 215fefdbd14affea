package e2e

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// requestsServed reads the sum of http_requests_total from a demo app.
func requestsServed(t *testing.T, addr string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("metrics of %s: %v", addr, err)
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "http_requests_total{") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// TestLoadGeneratorSendsSteadyTraffic: a Service labelled for load at 10
// requests/s gets them (counted by its app's own metrics), and none after
// the label is removed.
func TestLoadGeneratorSendsSteadyTraffic(t *testing.T) {
	c := getCluster(t)
	ns := c.namespace(t, "sim-e2e-load-")
	svc := service("busy", map[string]string{"sim.kship.dev/load": "true"}, map[string]string{"sim.kship.dev/rps": "10"})
	c.create(t, ns, deployment("busy", "busy", 1, nil, env("DEMO_VERSION", "v1")), svc)
	c.waitReady(t, ns, "busy", 1)
	addr := c.waitServing(t, ns, 1)[0].Address
	var first float64
	eventually(t, 20*time.Second, "load reaches the app", func() (bool, string) {
		first = requestsServed(t, addr)
		return first > 0, "no requests yet"
	})
	start := time.Now()
	timer := time.NewTimer(3 * time.Second)
	<-timer.C
	rate := (requestsServed(t, addr) - first) / time.Since(start).Seconds()
	t.Logf("load generator: %.1f requests/s at sim.kship.dev/rps=10", rate)
	if rate < 6 || rate > 13 {
		t.Errorf("app received %.1f requests/s, want about 10", rate)
	}

	patch := `{"metadata":{"labels":{"sim.kship.dev/load":null}}}`
	if _, err := c.cs.CoreV1().Services(ns).Patch(t.Context(), "busy", "application/merge-patch+json",
		[]byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("remove load label: %v", err)
	}
	timer.Reset(time.Second) // let in-flight requests land
	<-timer.C
	before := requestsServed(t, addr)
	timer.Reset(2 * time.Second)
	<-timer.C
	if after := requestsServed(t, addr); after != before {
		t.Errorf("app still receives load after the label was removed: %v → %v", before, after)
	}
}
