package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/validate"
)

// fakeResolver resolves only the names it holds.
type fakeResolver map[string]string

func (f fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := f[host]; ok {
		return []string{a}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func loadRelease(t *testing.T, verify string) *config.Release {
	t.Helper()
	doc := "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: web}\nspec:\n  namespace: shop\n  source: {path: .}\n  verify:\n" + verify
	rel, err := config.Parse("kship.yaml", []byte(doc), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestSmokeHostsProbedBothWays(t *testing.T) {
	ingress := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "web.shop" || r.Method != http.MethodGet {
			t.Errorf("ingress got %s with Host %s", r.Method, r.Host)
		}
		http.NotFound(w, r) // no backend yet: the app comes with the release
	}))
	defer ingress.Close()
	down := closedAddr(t)
	rel := loadRelease(t, `    smoke:
      - {name: ingress, http: {url: "http://${ING}/healthz", headers: {Host: web.shop}}}
      - {name: down, http: {url: "http://`+down+`/healthz", headers: {Host: web.shop}}}
      - {name: dns, http: {url: "http://web.shop.example/healthz"}}
      - {name: known, http: {url: "http://web.resolves.example/healthz"}}
      - {name: unset, http: {url: "http://${NOPE}/healthz"}}
      - {name: post, http: {url: "http://${ING}/reset", method: POST, headers: {Host: web.shop}}}
`)
	p := &Prober{Resolver: fakeResolver{"web.resolves.example": "192.0.2.1"}, Getenv: env(map[string]string{"ING": strings.TrimPrefix(ingress.URL, "http://")})}
	got := p.Probe(t.Context(), Input{Release: rel, File: "kship.yaml"})
	want := []struct {
		st   validate.Status
		line int
		has  string
	}{
		{validate.Pass, 9, "answers for Host web.shop (HTTP 404 Not Found before the release; the check expects 200 after it)"},
		{validate.Fail, 10, "(Host web.shop) does not answer: dial tcp " + down},
		{validate.Fail, 11, "host web.shop.example does not resolve (no such host)"},
		{validate.Pass, 12, "host web.resolves.example resolves (192.0.2.1); not requested"},
		{validate.Fail, 13, `url "http://${NOPE}/healthz": environment variable NOPE is not set`},
		{validate.Pass, 14, "a connection, not requested: POST is not safe to send before the release"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d items, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Status != w.st || g.Source.Line != w.line || g.Source.File != "kship.yaml" || g.ID != validate.IDVerifyTarget || !strings.Contains(g.Message, w.has) {
			t.Errorf("item %d: %s at %s: %s\nwant %s at line %d containing %q", i, g.Status, g.Source, g.Message, w.st, w.line, w.has)
		}
	}
}

func TestPrometheusAnswersThatAreNotAQueryAPI(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		has     string
	}{
		{"unauthorized", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusUnauthorized) },
			"refuses kship's query (401 Unauthorized): what to do: give credentials"},
		{"not the base URL", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			"answers 404 Not Found to /api/v1/query, so the address is not a Prometheus query API"},
		{"not Prometheus", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<html>hello</html>")) },
			"with something that is not a Prometheus API answer"},
	} {
		srv := httptest.NewServer(tc.handler)
		u := strings.Replace(srv.URL, "http://", "http://kship:s3cret@", 1)
		rel := loadRelease(t, "    metrics:\n      prometheus: {address: \""+u+"\"}\n      gates: [{name: up, query: up, min: 1}]\n")
		got := (&Prober{}).Probe(t.Context(), Input{Release: rel, File: "kship.yaml"})
		srv.Close()
		if len(got) != 1 || got[0].Status != validate.Fail || got[0].Source.Line != 9 || !strings.Contains(got[0].Message, tc.has) {
			t.Errorf("%s: %+v", tc.name, got)
			continue
		}
		if strings.Contains(got[0].Message, "s3cret") {
			t.Errorf("%s: the password is printed: %s", tc.name, got[0].Message)
		}
	}
	rel := loadRelease(t, "    metrics:\n      prometheus: {address: \"http://"+closedAddr(t)+"\"}\n      gates: [{name: up, query: up, min: 1}]\n")
	if got := (&Prober{}).Probe(t.Context(), Input{Release: rel}); len(got) != 1 || got[0].Status != validate.Fail || !strings.Contains(got[0].Message, "does not answer: dial tcp") {
		t.Errorf("unreachable: %+v", got)
	}
}

func TestOfflineExpandsAndSaysWhatItDidNotProbe(t *testing.T) {
	rel := loadRelease(t, `    smoke:
      - {name: a, http: {url: "http://${ING}/healthz", headers: {Host: web.shop}}}
      - {name: b, http: {url: "http://${NOPE}/healthz"}}
    metrics:
      prometheus: {address: "http://127.0.0.1:9090"}
      gates: [{name: up, query: up, min: 1}]
`)
	got := Offline(Input{Release: rel, File: "kship.yaml"}, env(map[string]string{"ING": "127.0.0.1:8080"}))
	if len(got) != 2 || got[0].Status != validate.Fail || got[0].Source.Line != 10 || !strings.Contains(got[0].Message, "environment variable NOPE is not set") {
		t.Fatalf("unset variable offline: %+v", got)
	}
	if got[1].Status != validate.Warn || !strings.Contains(got[1].Message, "not probed: --offline, so 127.0.0.1:8080, 127.0.0.1:9090 were not resolved") {
		t.Errorf("offline warning: %+v", got[1])
	}
}

func TestMetricNames(t *testing.T) {
	got := metricNames(`sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate({__name__="http_requests_total"}[1m])) + on() group_left up`)
	if strings.Join(got, ",") != "http_requests_total,up" {
		t.Errorf("metric names %v", got)
	}
}
