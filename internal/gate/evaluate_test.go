package gate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
)

// promAPI is a Prometheus-API-compatible server answering /api/v1/query with
// the JSON body for each query.
func promAPI(t *testing.T, answers map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.URL.Path != "/api/v1/query" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		body, ok := answers[r.Form.Get("query")]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error: unexpected identifier"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPrometheusResultTypes(t *testing.T) {
	srv := promAPI(t, map[string]string{
		"scalar": `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"0.25"]}}`,
		"vector": `{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"code":"500"},"value":[1700000000,"3"]},{"metric":{},"value":[1700000000,"NaN"]}]}}`,
		"empty":  `{"status":"success","data":{"resultType":"vector","result":[]}}`,
		"matrix": `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"]]}]}}`,
		"string": `{"status":"success","data":{"resultType":"string","result":[1700000000,"hello"]}}`,
	})
	q, err := NewPrometheus(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  string
		err   string
	}{
		{"scalar", "[{ 0.25}]", ""},
		{"vector", `[{{code="500"} 3} { NaN}]`, ""},
		{"empty", "[]", ""},
		{"matrix", "", "range vector"},
		{"string", "", "unexpected value type"},
		{"rate(x[", "", "parse error"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			v, err := q.Query(t.Context(), tt.query, time.Now())
			var series []Series
			if err == nil {
				series, err = Flatten(v)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(series); got != tt.want {
				t.Errorf("series %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNewPrometheusAddress(t *testing.T) {
	t.Setenv("KSHIP_TEST_PROM", "http://127.0.0.1:9")
	if _, err := NewPrometheus("${KSHIP_TEST_PROM}"); err != nil {
		t.Errorf("expanded address: %v", err)
	}
	for _, bad := range []string{"${KSHIP_TEST_UNSET_VAR}", "127.0.0.1:9090", "ftp://x", ""} {
		if _, err := NewPrometheus(bad); err == nil {
			t.Errorf("NewPrometheus(%q) accepted", bad)
		}
	}
}

func TestPrometheusBasicAuthNeverPrinted(t *testing.T) {
	var user, pass string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ = r.BasicAuth()
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"status":"error","errorType":"unavailable","error":"overloaded"}`)
	}))
	defer srv.Close()
	q, err := NewPrometheus(strings.Replace(srv.URL, "http://", "http://kship:hunter2@", 1))
	if err != nil {
		t.Fatal(err)
	}
	m := (&Evaluator{Q: q}).Evaluate(t.Context(), []config.Gate{{Name: "g", Query: "up"}}, nil, nil)[0]
	if user != "kship" || pass != "hunter2" {
		t.Errorf("basic auth not sent: %q %q", user, pass)
	}
	if m.Verdict != Error || strings.Contains(m.Message, "hunter2") {
		t.Errorf("verdict %s, message %q", m.Verdict, m.Message)
	}
}

func TestUnreachablePrometheusIsError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there any more
	q, err := NewPrometheus(addr)
	if err != nil {
		t.Fatal(err)
	}
	e := &Evaluator{Q: q, Timeout: 2 * time.Second}
	gates := []config.Gate{{Name: "error-rate", Query: "up", Max: f(0.01), NoData: config.NoDataPass}}
	ms := e.Evaluate(t.Context(), gates, nil, nil)
	if ms[0].Verdict != Error || !strings.Contains(ms[0].Message, "query failed") {
		t.Fatalf("unreachable Prometheus gave %s: %s", ms[0].Verdict, ms[0].Message)
	}
}

// script is a Querier that answers from a list, in order, per query.
type script struct {
	mu      sync.Mutex
	answers map[string][]any // model.Value or error
}

func (s *script) Query(_ context.Context, q string, _ time.Time) (model.Value, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.answers[q]) == 0 {
		return nil, fmt.Errorf("query %s is not scripted", q)
	}
	a := s.answers[q][0]
	if len(s.answers[q]) > 1 {
		s.answers[q] = s.answers[q][1:]
	}
	if err, ok := a.(error); ok {
		return nil, err
	}
	return a.(model.Value), nil
}

func scalar(v float64) model.Value { return &model.Scalar{Value: model.SampleValue(v)} }

func TestEvaluatorBaselineAndSamples(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	q := &script{answers: map[string][]any{
		"err":  {scalar(0.001), scalar(0.002), scalar(0.003), scalar(0.004)},
		"lat":  {scalar(0.1), scalar(0.3)},
		"none": {model.Vector{}, scalar(math.NaN()), model.Vector{}},
		"down": {errors.New("connection refused")},
	}}
	var mu sync.Mutex
	var events []event.Event
	sink := event.SinkFunc(func(e event.Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
	e := &Evaluator{Q: q, Now: func() time.Time { return now }, Sink: sink, Stage: event.StageStabilize}
	gates := []config.Gate{
		{Name: "error-rate", Query: "err", Max: f(0.01), MinSamples: 2},
		{Name: "latency", Query: "lat", MaxIncrease: f(0.1)},
		{Name: "absent", Query: "none", Max: f(1), NoData: config.NoDataInconclusive},
		{Name: "broken", Query: "down", Max: f(1)},
	}
	base := e.Baseline(t.Context(), gates)
	if b := base["latency"]; b.Value == nil || *b.Value != 0.1 || !b.IsBaseline {
		t.Fatalf("latency baseline %+v", b)
	}
	if b := base["absent"]; b.Value != nil || !strings.Contains(b.Message, "no data") {
		t.Errorf("absent baseline %+v", b)
	}
	if b := base["broken"]; b.Verdict != Error {
		t.Errorf("broken baseline %+v", b)
	}
	first := e.Evaluate(t.Context(), gates, base, sink)
	second := e.Evaluate(t.Context(), gates, base, sink)
	want := []struct {
		m       Measurement
		verdict Verdict
		samples int
	}{
		{first[0], Inconclusive, 1}, {second[0], Pass, 2},
		{first[1], Fail, 1},
		{first[2], Inconclusive, 0}, {second[2], Inconclusive, 0},
		{first[3], Error, 0},
	}
	for _, w := range want {
		if w.m.Verdict != w.verdict || w.m.Samples != w.samples {
			t.Errorf("%s: verdict %s samples %d, want %s %d (%s)", w.m.Gate, w.m.Verdict, w.m.Samples, w.verdict, w.samples, w.m.Message)
		}
	}
	if first[1].Baseline == nil || *first[1].Baseline != 0.1 || !strings.Contains(first[1].Message, "over the baseline 0.1") {
		t.Errorf("latency measurement %+v", first[1])
	}
	if len(events) != 12 {
		t.Fatalf("%d events, want 4 baselines + 8 evaluations", len(events))
	}
	for _, ev := range events {
		if ev.Type != event.TypeGate || ev.Stage != event.StageStabilize || ev.Message == "" {
			t.Errorf("event %+v", ev)
		}
		if _, ok := ev.Data.(Measurement); !ok {
			t.Errorf("event data %T, want Measurement", ev.Data)
		}
	}
}

func TestEvaluatorTextbookRatioVarsAndWindow(t *testing.T) {
	done := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	now := done.Add(25 * time.Second)
	query := `sum(rate(http_requests_total{namespace="{{.Namespace}}",pod_template_hash=~"{{.PodTemplateHash}}",code=~"5.."}[20s])) / sum(rate(http_requests_total{namespace="{{.Namespace}}",pod_template_hash=~"{{.PodTemplateHash}}"}[20s]))`
	sent := `sum(rate(http_requests_total{namespace="shop",pod_template_hash=~"5d8f",code=~"5.."}[20s])) / sum(rate(http_requests_total{namespace="shop",pod_template_hash=~"5d8f"}[20s]))`
	num := `sum(rate(http_requests_total{code=~"5..",namespace="shop",pod_template_hash=~"5d8f"}[20s]))`
	den := `sum(rate(http_requests_total{namespace="shop",pod_template_hash=~"5d8f"}[20s]))`
	q := &script{answers: map[string][]any{
		sent: {model.Vector{}},
		num:  {model.Vector{}},
		den:  {model.Vector{{Metric: model.Metric{}, Value: 12}}},
	}}
	lb, err := config.CheckQuery(query, config.QueryVars{Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	g := config.Gate{Name: "error-rate", Query: query, Max: f(0.01), NoData: config.NoDataFail, MinSamples: 1, Lookback: lb}
	e := &Evaluator{Q: q, Now: func() time.Time { return now }, RolloutDone: done, ScrapeInterval: time.Second,
		Vars: config.QueryVars{Namespace: "shop", Release: "web", Revision: 2, PodTemplateHashes: []string{"5d8f"}}}
	m := e.Evaluate(t.Context(), []config.Gate{g}, nil, nil)[0]
	if m.Verdict != Pass || m.Value == nil || *m.Value != 0 || m.Samples != 1 {
		t.Fatalf("no errors: %s %v (%s), want pass on 0", m.Verdict, m.Value, m.Message)
	}
	if m.Query != sent {
		t.Errorf("query as sent %q, want %q", m.Query, sent)
	}
	want := "error-rate = 0 at 10:00:25Z <= max 0.01: pass; the numerator " + num + " returned no series (nothing it counts happened, e.g. no errors) while the denominator has data, so the ratio is 0"
	if m.Message != want {
		t.Errorf("message\n %s\nwant\n %s", m.Message, want)
	}
	if m.Diagnosis == nil || m.Diagnosis.Reason != ReasonNumeratorEmpty || len(m.Diagnosis.Probes) != 2 || m.Diagnosis.Probes[1].Query != den {
		t.Errorf("diagnosis %+v", m.Diagnosis)
	}
	if w := m.Window; w == nil || !w.PostRollout || !w.From.Equal(now.Add(-20*time.Second)) || !w.HonestFrom.Equal(done.Add(22*time.Second)) {
		t.Errorf("window %+v", m.Window)
	}

	// The baseline of a healthy version is 0 as well, so maxIncrease has
	// something to compare to.
	if b := e.Baseline(t.Context(), []config.Gate{g})[g.Name]; b.Value == nil || *b.Value != 0 || !strings.Contains(b.Message, "so the ratio is 0") {
		t.Errorf("baseline of the textbook ratio without errors: %+v", b)
	}

	// Without the new pods' hash the query is not sent.
	e.Vars.PodTemplateHashes = nil
	m = e.Evaluate(t.Context(), []config.Gate{g}, nil, nil)[0]
	if m.Verdict != Error || !strings.Contains(m.Message, "{{.PodTemplateHash}} is not known yet") {
		t.Errorf("unknown hash: %s: %s", m.Verdict, m.Message)
	}
	b := e.Baseline(t.Context(), []config.Gate{g})[g.Name]
	if b.Verdict != "" || b.Value != nil || !strings.Contains(b.Message, "baseline of error-rate not measured: {{.PodTemplateHash}} is not known yet") {
		t.Errorf("baseline without the hash: %+v", b)
	}
}

func TestEvaluatorBaselineWarningAndDenominatorMissing(t *testing.T) {
	q := &script{answers: map[string][]any{
		"old_errors":                          {scalar(0.3)},
		`sum(rate(e[1m])) / sum(rate(t[1m]))`: {model.Vector{}},
		`sum(rate(e[1m]))`:                    {model.Vector{}},
		`sum(rate(t[1m]))`:                    {model.Vector{}},
		`count(t)`:                            {model.Vector{}},
	}}
	e := &Evaluator{Q: q, Now: func() time.Time { return time.Time{} }}
	b := e.Baseline(t.Context(), []config.Gate{{Name: "error-rate", Query: "old_errors", Max: f(0.01)}})["error-rate"]
	if !strings.Contains(b.Warning, "already breaks max 0.01") || !strings.Contains(b.Message, "warning: error-rate: the baseline 0.3") {
		t.Errorf("baseline over max: %+v", b)
	}
	m := e.Evaluate(t.Context(), []config.Gate{{Name: "error-rate", Query: `sum(rate(e[1m])) / sum(rate(t[1m]))`, Max: f(0.01)}}, nil, nil)[0]
	want := "error-rate: no data: the query returned no series (the denominator sum(rate(t[1m])) returned no series: the metric t has no series in Prometheus at all: check its name, and that the pods exposing it are scraped); noData: fail treats missing metrics as a failure: fail"
	if m.Verdict != Fail || m.Message != want || m.Diagnosis.Reason != ReasonNoSeries {
		t.Errorf("no denominator: %s\n %s\nwant\n %s", m.Verdict, m.Message, want)
	}
}
