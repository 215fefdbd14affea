package testenv_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/testenv"
)

// promResult is the part of a Prometheus instant-query answer we read.
type promResult struct {
	Status string `json:"status"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// promQuery runs an instant query and returns the first sample's value.
func promQuery(ctx context.Context, base, query string) (float64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return 0, false, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, fmt.Errorf("query prometheus: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var r promResult
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		return 0, false, fmt.Errorf("query prometheus: status %d: %s", res.StatusCode, body)
	}
	if len(r.Data.Result) == 0 {
		return 0, false, nil
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil, err
}

// TestPrometheusSeesDemoAppTraffic deploys the demo app behind a Service
// the load generator drives and expects Prometheus to report a non-zero
// request rate, with the pod labels on the series, within 30 s of the pods
// becoming Ready.
func TestPrometheusSeesDemoAppTraffic(t *testing.T) {
	env := testenv.Get(t)
	if env.Ingress == "" {
		t.Fatal("KSHIP_INGRESS is empty: the pod simulator (bin/podsim) is not running")
	}
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "e2e-prom-")
	d := deployment("web", 2, map[string]string{"version": "v1"}, corev1.EnvVar{Name: "DEMO_VERSION", Value: "v1"})
	if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Deployment %s/web: %v", ns, err)
	}
	svc := service("web", map[string]string{"sim.kship.dev/load": "true"})
	if _, err := cs.CoreV1().Services(ns).Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Service %s/web: %v", ns, err)
	}
	eventually(t, 2*time.Minute, "Deployment web Available", func(ctx context.Context) (bool, string) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return available(d), fmt.Sprintf("status %+v", d.Status)
	})
	ready := time.Now()
	eventually(t, 15*time.Second, "ingress answers for web."+ns, func(ctx context.Context) (bool, string) {
		code, err := get(ctx, "http://"+env.Ingress+"/", "web."+ns)
		return err == nil && code == http.StatusOK, fmt.Sprintf("status %d, %v", code, err)
	})
	query := fmt.Sprintf(`sum(rate(http_requests_total{namespace=%q,app="web",version="v1"}[30s]))`, ns)
	eventually(t, 30*time.Second-time.Since(ready), "Prometheus request rate", func(ctx context.Context) (bool, string) {
		v, ok, err := promQuery(ctx, env.Prometheus, query)
		return err == nil && ok && v > 0, fmt.Sprintf("%s = %v (present %v, err %v)", query, v, ok, err)
	})
	t.Logf("non-zero request rate %s after the pods were Ready", time.Since(ready).Round(time.Millisecond))
}

// get sends a GET with the given Host header and returns the status code.
func get(ctx context.Context, u, host string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Host = host
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}
