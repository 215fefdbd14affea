package smoke

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
)

func dur(d time.Duration) config.Duration { return config.Duration{Duration: d} }

// server answers each request with the next of answers (the last repeats).
func server(t *testing.T, answers ...func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		answers[min(i, len(answers)-1)](w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func answer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

func TestHTTPExpectations(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name    string
		answer  func(http.ResponseWriter, *http.Request)
		check   config.HTTPCheck
		passed  bool
		message string
	}{
		{"default 200", answer(200, "ok"), config.HTTPCheck{}, true, `200 with body "ok", as expected (status 200) on try 1`},
		{"wrong status", answer(503, "unhealthy"), config.HTTPCheck{}, false, `expected status 200; got 503 with body "unhealthy" (after 1 try)`},
		{"expected other status", answer(404, ""), config.HTTPCheck{ExpectStatus: 404}, true, "as expected (status 404)"},
		{"body contains", answer(200, `{"status":"ok"}`), config.HTTPCheck{BodyContains: `"ok"`}, true, ""},
		{"body does not contain", answer(200, `{"status":"degraded"}`), config.HTTPCheck{BodyContains: `"ok"`}, false,
			`expected status 200 and a body containing "\"ok\""; got 200 with body "{\"status\":\"degraded\"}"`},
		{"regex", answer(200, "version v2.1.0"), config.HTTPCheck{BodyRegex: `v2\.\d+`}, true, ""},
		{"regex mismatch", answer(200, "version v1.9.0"), config.HTTPCheck{BodyRegex: `v2\.\d+`}, false, `a body matching /v2\.\d+/; got 200`},
		{"body quoted to 200 bytes", answer(500, long), config.HTTPCheck{}, false, `got 500 with body "` + strings.Repeat("x", 200) + `…"`},
		{"method and headers", func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.Header.Get("X-Token") != "s3cret" {
				w.WriteHeader(400)
				return
			}
			w.WriteHeader(201)
		}, config.HTTPCheck{Method: "post", ExpectStatus: 201, Headers: map[string]string{"X-Token": "s3cret"}}, true, "POST http://"},
		{"Host header routes like an ingress", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "host="+r.Host)
		}, config.HTTPCheck{Headers: map[string]string{"host": "web.shop"}, BodyContains: "host=web.shop"}, true, "(Host web.shop)"},
		{"redirects are not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, config.HTTPCheck{}, false, "got 302"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := server(t, tt.answer)
			check := tt.check
			check.URL = srv.URL + "/healthz"
			r := &Runner{}
			res := r.Run(t.Context(), "ns", []config.SmokeCheck{{Name: "health", HTTP: &check}}, nil)[0]
			if res.Passed != tt.passed {
				t.Errorf("passed = %v, want %v: %s", res.Passed, tt.passed, res.Message)
			}
			if !strings.Contains(res.Message, tt.message) {
				t.Errorf("message %q\ndoes not contain %q", res.Message, tt.message)
			}
			if strings.Contains(res.Message, "s3cret") {
				t.Errorf("message prints a header value: %s", res.Message)
			}
			if res.Kind != KindHTTP || res.Attempts != 1 || len(res.Tries) != 1 {
				t.Errorf("kind %s attempts %d tries %d", res.Kind, res.Attempts, len(res.Tries))
			}
		})
	}
}

func TestHTTPRetriesWithBackoff(t *testing.T) {
	srv, n := server(t, answer(503, "starting"), answer(503, "starting"), answer(200, "ok"))
	var mu sync.Mutex
	var events []event.Event
	sink := event.SinkFunc(func(e event.Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
	r := &Runner{}
	start := time.Now()
	res := r.Run(t.Context(), "ns", []config.SmokeCheck{{
		Name: "health", HTTP: &config.HTTPCheck{URL: srv.URL}, Retries: 3, Backoff: dur(100 * time.Millisecond),
	}}, sink)[0]
	elapsed := time.Since(start)
	if !res.Passed || res.Attempts != 3 || n.Load() != 3 {
		t.Fatalf("passed %v after %d attempts (%d requests): %s", res.Passed, res.Attempts, n.Load(), res.Message)
	}
	// Waits of 100ms then 200ms: exponential.
	if elapsed < 300*time.Millisecond || elapsed > 10*time.Second {
		t.Errorf("took %s, want about 300ms of backoff", elapsed)
	}
	gap := res.Tries[2].Start.Sub(res.Tries[1].Start)
	if gap < 200*time.Millisecond {
		t.Errorf("second backoff %s, want >= 200ms (doubled)", gap)
	}
	if res.Tries[0].Status != 503 || res.Tries[0].Body != "starting" || res.Tries[0].Passed || !res.Tries[2].Passed {
		t.Errorf("tries not recorded: %+v", res.Tries)
	}
	if !strings.Contains(res.Message, "on try 3") {
		t.Errorf("message %q", res.Message)
	}
	if len(events) != 1 || events[0].Type != event.TypeSmoke || events[0].Stage != event.StageVerify {
		t.Fatalf("events %+v", events)
	}
	if _, ok := events[0].Data.(Result); !ok {
		t.Errorf("event data %T", events[0].Data)
	}
}

func TestHTTPRetriesExhausted(t *testing.T) {
	srv, n := server(t, answer(500, "boom"))
	res := (&Runner{}).Run(t.Context(), "ns", []config.SmokeCheck{{
		Name: "health", HTTP: &config.HTTPCheck{URL: srv.URL}, Retries: 2, Backoff: dur(10 * time.Millisecond),
	}}, nil)[0]
	if res.Passed || res.Attempts != 3 || n.Load() != 3 {
		t.Fatalf("passed %v attempts %d requests %d", res.Passed, res.Attempts, n.Load())
	}
	if !strings.Contains(res.Message, `expected status 200; got 500 with body "boom" (after 3 tries)`) {
		t.Errorf("message %q", res.Message)
	}
}

func TestHTTPPerTryTimeout(t *testing.T) {
	release := make(chan struct{})
	srv, n := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	start := time.Now()
	res := (&Runner{}).Run(t.Context(), "ns", []config.SmokeCheck{{
		Name: "slow", HTTP: &config.HTTPCheck{URL: srv.URL}, Retries: 1,
		Timeout: dur(150 * time.Millisecond), Backoff: dur(10 * time.Millisecond),
	}}, nil)[0]
	if res.Passed || res.Attempts != 2 || n.Load() != 2 {
		t.Fatalf("passed %v attempts %d requests %d", res.Passed, res.Attempts, n.Load())
	}
	if !strings.Contains(res.Message, "no answer within the per-try timeout of 150ms") {
		t.Errorf("message %q", res.Message)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s: the per-try timeout did not cut the tries", d)
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	srv, _ := server(t, answer(200, ""))
	url := srv.URL
	srv.Close()
	res := (&Runner{}).Run(t.Context(), "ns", []config.SmokeCheck{{Name: "down", HTTP: &config.HTTPCheck{URL: url}}}, nil)[0]
	if res.Passed || !strings.Contains(res.Message, "got no answer: ") || !strings.Contains(res.Message, "refused") {
		t.Errorf("message %q", res.Message)
	}
}

func TestHTTPEnvExpansion(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.Host) })
	env := map[string]string{"KSHIP_INGRESS": strings.TrimPrefix(srv.URL, "http://")}
	r := &Runner{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	checks := []config.SmokeCheck{
		{Name: "ok", HTTP: &config.HTTPCheck{URL: "http://${KSHIP_INGRESS}/healthz", Headers: map[string]string{"Host": "web.shop"}, BodyContains: "web.shop"}},
		{Name: "unset", HTTP: &config.HTTPCheck{URL: "http://${KSHIP_NOPE}/healthz"}},
		{Name: "bad-regex", HTTP: &config.HTTPCheck{URL: srv.URL, BodyRegex: "("}},
		{Name: "with-password", HTTP: &config.HTTPCheck{URL: "http://user:hunter2@127.0.0.1:1/"}},
	}
	res := r.Run(t.Context(), "ns", checks, nil)
	if !res[0].Passed {
		t.Errorf("expanded check failed: %s", res[0].Message)
	}
	if res[1].Passed || res[1].Attempts != 0 || !strings.Contains(res[1].Message, "environment variable KSHIP_NOPE is not set") {
		t.Errorf("unset variable: %+v", res[1])
	}
	if res[2].Passed || !strings.Contains(res[2].Message, "bodyRegex") {
		t.Errorf("bad regex: %s", res[2].Message)
	}
	if strings.Contains(res[3].Message, "hunter2") {
		t.Errorf("URL password printed: %s", res[3].Message)
	}
}

func TestCancelledContext(t *testing.T) {
	srv, _ := server(t, answer(500, ""))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res := (&Runner{}).Run(ctx, "ns", []config.SmokeCheck{{Name: "x", HTTP: &config.HTTPCheck{URL: srv.URL}, Retries: 5}}, nil)[0]
	if res.Passed || res.Attempts > 1 {
		t.Errorf("a cancelled run passed or kept retrying: %+v", res)
	}
}
