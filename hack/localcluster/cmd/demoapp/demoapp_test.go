package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestErrorAtSpreadsFailuresEvenly(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		n    int
		want int
	}{
		{0, 300, 0},
		{0.3, 300, 90},
		{0.3, 10, 3},
		{0.05, 400, 20},
		{0.5, 7, 3},
		{1, 50, 50},
	} {
		got := 0
		for i := range tc.n {
			if errorAt(uint64(i), tc.rate) {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("rate %g over %d requests: %d failures, want %d", tc.rate, tc.n, got, tc.want)
		}
	}
}

func TestErrorSamplerAnyWindowIsClose(t *testing.T) {
	s := errorSampler{rate: 0.3}
	for range 17 { // start mid-sequence
		s.next()
	}
	fails := 0
	for range 100 {
		if s.next() {
			fails++
		}
	}
	if fails < 29 || fails > 31 {
		t.Fatalf("100 requests at 0.3: %d failures, want 30±1", fails)
	}
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{
		"DEMO_VERSION": "v2", "DEMO_ERROR_RATE": "0.25", "DEMO_LATENCY_MS": "15",
		"DEMO_HEALTH_FAIL": "true", "POD_NAME": "web-1", "POD_IP": "127.10.0.7",
	}
	cfg, err := loadConfig("127.10.0.7:8080", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := config{Listen: "127.10.0.7:8080", Version: "v2", ErrorRate: 0.25, Latency: 15 * time.Millisecond,
		HealthFail: true, PodName: "web-1", PodIP: "127.10.0.7"}
	if cfg != want {
		t.Fatalf("config = %+v, want %+v", cfg, want)
	}
}

func TestLoadConfigRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		listen string
		env    map[string]string
		want   string
	}{
		"public listen":  {"0.0.0.0:80", nil, "loopback"},
		"no port":        {"127.0.0.1", nil, "listen address"},
		"rate above one": {"", map[string]string{"DEMO_ERROR_RATE": "1.5"}, "DEMO_ERROR_RATE"},
		"rate not float": {"", map[string]string{"DEMO_ERROR_RATE": "lots"}, "DEMO_ERROR_RATE"},
		"latency":        {"", map[string]string{"DEMO_LATENCY_MS": "-3"}, "DEMO_LATENCY_MS"},
		"health":         {"", map[string]string{"DEMO_HEALTH_FAIL": "maybe"}, "DEMO_HEALTH_FAIL"},
	} {
		_, err := loadConfig(tc.listen, func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", name, err, tc.want)
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestAppServesVersionErrorsAndMetrics(t *testing.T) {
	cfg := config{Version: "v7", ErrorRate: 0.3, PodName: "web-abc", PodIP: "127.10.0.9", Message: "hi", HealthFail: true}
	srv := httptest.NewServer(newApp(cfg).routes())
	defer srv.Close()

	codes := map[int]int{}
	for range 200 {
		code, body := get(t, srv.URL+"/")
		codes[code]++
		if !strings.Contains(body, "version=v7 pod=web-abc ip=127.10.0.9") {
			t.Fatalf("body %q does not name version, pod and IP", body)
		}
	}
	if codes[500] != 60 || codes[200] != 140 {
		t.Fatalf("codes %v, want 60×500 and 140×200", codes)
	}
	if code, _ := get(t, srv.URL+"/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/healthz with DEMO_HEALTH_FAIL: %d, want 503", code)
	}
	_, metrics := get(t, srv.URL+"/metrics")
	for _, want := range []string{
		`http_requests_total{code="200",version="v7"} 140`,
		`http_requests_total{code="500",version="v7"} 60`,
		`http_request_duration_seconds_count{version="v7"} 200`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q (health and metrics requests must not count)", want)
		}
	}
	if strings.Contains(metrics, `code="503"`) {
		t.Error("/metrics counts the /healthz 503")
	}
}

func TestAppLatency(t *testing.T) {
	srv := httptest.NewServer(newApp(config{Version: "v1", Latency: 60 * time.Millisecond}).routes())
	defer srv.Close()
	start := time.Now()
	if code, _ := get(t, srv.URL+"/"); code != 200 {
		t.Fatalf("code %d", code)
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("request took %s, want at least DEMO_LATENCY_MS=60", d)
	}
	if code, body := get(t, srv.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
}
