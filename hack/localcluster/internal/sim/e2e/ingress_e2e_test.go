package e2e

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// versionOf reads version=X from a demo-app answer.
func versionOf(body string) string {
	for _, f := range strings.Fields(body) {
		if v, ok := strings.CutPrefix(f, "version="); ok {
			return v
		}
	}
	return ""
}

// waitReady waits until n pods of app are Ready in the API.
func (c *cluster) waitReady(t *testing.T, ns, app string, n int) {
	t.Helper()
	eventually(t, 60*time.Second, fmt.Sprintf("%d Ready pods of %s/%s", n, ns, app), func() (bool, string) {
		pods, err := c.cs.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			return false, err.Error()
		}
		ready := 0
		for _, p := range pods.Items {
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready == n, fmt.Sprintf("%d of %d pods Ready", ready, len(pods.Items))
	})
}

func TestServiceAnswersThroughIngressWithItsVersion(t *testing.T) {
	c := getCluster(t)
	ns := c.namespace(t, "sim-e2e-answer-")
	c.create(t, ns, deployment("web", "web", 2, nil, env("DEMO_VERSION", "v1.4.2")), service("web", nil, nil))
	c.waitReady(t, ns, "web", 2)
	c.waitServing(t, ns, 2)
	for _, host := range []string{"web." + ns, "web." + ns + ":80", "web." + ns + ".svc.cluster.local", "web." + ns + ".example:http"} {
		eventually(t, 10*time.Second, "answer for Host "+host, func() (bool, string) {
			code, body := c.get(t, host, "/")
			return code == http.StatusOK && versionOf(body) == "v1.4.2", fmt.Sprintf("%d %q", code, body)
		})
	}
	if code, body := c.get(t, "web."+ns, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz through the ingress: %d %q", code, body)
	}
	if code, body := c.get(t, "nope."+ns, "/"); code != http.StatusNotFound || !strings.Contains(body, "not found") {
		t.Errorf("unknown Service: %d %q, want 404 naming it", code, body)
	}
}

// TestTrafficFollowsReadyPodSplit: 3 Ready v1 pods, 1 Ready v2 pod and 1
// Running-but-never-Ready v3 pod behind one Service: v2 gets a quarter of
// the requests, v3 none (though its process runs).
func TestTrafficFollowsReadyPodSplit(t *testing.T) {
	c := getCluster(t)
	ns := c.namespace(t, "sim-e2e-split-")
	c.create(t, ns,
		deployment("stable", "shop", 3, nil, env("DEMO_VERSION", "v1")),
		deployment("canary", "shop", 1, nil, env("DEMO_VERSION", "v2")),
		deployment("broken", "shop", 1, map[string]string{"sim.kship.dev/behavior": "unready"}, env("DEMO_VERSION", "v3")),
		service("shop", nil, nil))
	c.waitReady(t, ns, "shop", 4)
	c.waitServing(t, ns, 5) // the unready pod's process runs too
	eventually(t, 10*time.Second, "both versions answer", func() (bool, string) {
		seen := map[string]bool{}
		for range 8 {
			_, body := c.get(t, "shop."+ns, "/")
			seen[versionOf(body)] = true
		}
		return seen["v1"] && seen["v2"], fmt.Sprintf("versions seen %v", seen)
	})
	const total = 400
	counts := map[string]int{}
	for range total {
		code, body := c.get(t, "shop."+ns, "/")
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		counts[versionOf(body)]++
	}
	share := float64(counts["v2"]) / total
	t.Logf("over %d requests: %v; v2 share %.3f (want 0.25)", total, counts, share)
	if math.Abs(share-0.25) > 0.05 {
		t.Errorf("v2 (1 of 4 Ready pods) got %.1f%% of the traffic, want 25%% ± 5%%", share*100)
	}
	if counts["v3"] != 0 {
		t.Errorf("the never-Ready pod got %d requests, want 0", counts["v3"])
	}
}

func TestErrorRateThroughIngress(t *testing.T) {
	c := getCluster(t)
	ns := c.namespace(t, "sim-e2e-errors-")
	c.create(t, ns, deployment("flaky", "flaky", 2, nil, env("DEMO_VERSION", "v9", "DEMO_ERROR_RATE", "0.3")),
		service("flaky", nil, nil))
	c.waitReady(t, ns, "flaky", 2)
	c.waitServing(t, ns, 2)
	const total = 400
	errors := 0
	for range total {
		code, _ := c.get(t, "flaky."+ns, "/")
		switch code {
		case http.StatusInternalServerError:
			errors++
		case http.StatusOK:
		default:
			t.Fatalf("unexpected status %d", code)
		}
	}
	share := float64(errors) / total
	t.Logf("DEMO_ERROR_RATE=0.3: %d of %d requests answered 500 (%.3f)", errors, total, share)
	if math.Abs(share-0.3) > 0.05 {
		t.Errorf("error share %.3f, want 0.30 ± 0.05", share)
	}
	if code, _ := c.get(t, "flaky."+ns, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz of an app with errors: %d, want 200", code)
	}
}

// TestIngressThroughput measures requests per second through the ingress
// with 16 concurrent clients; the environment must carry a few hundred.
func TestIngressThroughput(t *testing.T) {
	c := getCluster(t)
	ns := c.namespace(t, "sim-e2e-rps-")
	c.create(t, ns, deployment("fast", "fast", 2, nil, env("DEMO_VERSION", "v1")), service("fast", nil, nil))
	c.waitReady(t, ns, "fast", 2)
	c.waitServing(t, ns, 2)
	const workers, perWorker = 16, 150
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for range perWorker {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+c.ingress+"/", nil)
				req.Host = "fast." + ns
				resp, err := c.http.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	rps := float64(workers*perWorker) / elapsed.Seconds()
	t.Logf("ingress throughput: %d requests in %s = %.0f requests/s (%d failed)", workers*perWorker, elapsed.Round(time.Millisecond), rps, failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed", failed.Load(), workers*perWorker)
	}
	if rps < 200 {
		t.Errorf("ingress carried %.0f requests/s, want at least 200", rps)
	}
}

// TestLatencyAndHealthThroughIngress: DEMO_LATENCY_MS slows app requests
// (not /healthz), DEMO_HEALTH_FAIL makes /healthz answer 503.
func TestLatencyAndHealthThroughIngress(t *testing.T) {
	c := getCluster(t)
	ns := c.namespace(t, "sim-e2e-latency-")
	c.create(t, ns, deployment("slow", "slow", 1, nil,
		env("DEMO_VERSION", "v1", "DEMO_LATENCY_MS", "150", "DEMO_HEALTH_FAIL", "true")), service("slow", nil, nil))
	c.waitReady(t, ns, "slow", 1)
	c.waitServing(t, ns, 1)
	start := time.Now()
	if code, body := c.get(t, "slow."+ns, "/"); code != http.StatusOK {
		t.Fatalf("/: %d %q", code, body)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("request took %s, want at least DEMO_LATENCY_MS=150", d)
	}
	if code, body := c.get(t, "slow."+ns, "/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz with DEMO_HEALTH_FAIL=true: %d %q, want 503", code, body)
	}
}
