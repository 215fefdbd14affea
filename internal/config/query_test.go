package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestQueryLookback(t *testing.T) {
	s, m, h := time.Second, time.Minute, time.Hour
	tests := []struct {
		query string
		want  Lookback
		err   string // part of the error; "" when none
	}{
		{`up`, Lookback{}, ""},
		{`vector(0)`, Lookback{}, ""},
		{`sum(rate(http_requests_total{code=~"5.."}[20s])) / sum(rate(http_requests_total[20s]))`,
			Lookback{Total: 20 * s, Range: 20 * s}, ""},
		{`sum(rate(errors[1m])) / sum(rate(total[5m]))`, Lookback{Total: 5 * m, Range: 5 * m}, ""},
		{`rate(x[1m] offset 5m)`, Lookback{Total: 6 * m, Range: m, Offset: 5 * m}, ""},
		{`x offset 1h`, Lookback{Total: h, Offset: h}, ""},
		{`rate(x[30s]) > rate(x[1m] offset 10s)`, Lookback{Total: 70 * s, Range: m, Offset: 10 * s}, ""},
		// A subquery reads its range before the evaluation time, and its
		// inner expression reads its own lookback before each step.
		{`max_over_time(rate(x[1m])[5m:30s])`, Lookback{Total: 6 * m, Range: 6 * m}, ""},
		{`max_over_time(rate(x[1m] offset 1m)[5m:] offset 2m)`, Lookback{Total: 9 * m, Range: 6 * m, Offset: 3 * m}, ""},
		{`max_over_time(max_over_time(rate(x[10s])[1m:10s])[5m:1m])`, Lookback{Total: 6*m + 10*s, Range: 6*m + 10*s}, ""},
		{`histogram_quantile(0.99, sum by (le) (rate(h_bucket[2m])))`, Lookback{Total: 2 * m, Range: 2 * m}, ""},
		{`rate(x[1m] @ end())`, Lookback{Total: m, Range: m}, ""},
		{`x @ start()`, Lookback{}, ""},
		{`rate(x[1m] @ 1609746000)`, Lookback{}, "pinned to a fixed time with @"},
		{`max_over_time(rate(x[1m])[5m:] @ 1609746000)`, Lookback{}, "pinned to a fixed time"},
		{`x offset -5m`, Lookback{}, "negative offset"},
		{`rate(x[1m] offset -5m)`, Lookback{}, "negative offset"},
		{`rate(x[1h / 2])`, Lookback{}, "duration expression"},
		{`x offset (1h / 2)`, Lookback{}, "duration expression"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			expr, err := ParseQuery(tt.query)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := QueryLookback(expr)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("lookback %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLookbackString(t *testing.T) {
	for l, want := range map[Lookback]string{
		{Total: 20 * time.Second, Range: 20 * time.Second}:                      "range 20s",
		{Total: time.Hour + time.Minute, Range: time.Minute, Offset: time.Hour}: "range 1m0s + offset 1h0m0s",
		{Total: time.Hour, Offset: time.Hour}:                                   "offset 1h0m0s",
		{}:                                                                      "latest samples",
	} {
		if got := l.String(); got != want {
			t.Errorf("%+v: %q, want %q", l, got, want)
		}
	}
}

func TestExpandQuery(t *testing.T) {
	vars := QueryVars{Namespace: "shop", Release: "web", Revision: 7, PodTemplateHashes: []string{"b7c9", "5d8f"}}
	tests := []struct {
		name, query string
		vars        QueryVars
		want, err   string
	}{
		{"no variables", `sum(rate(x[1m]))`, vars, `sum(rate(x[1m]))`, ""},
		{"all variables", `x{namespace="{{.Namespace}}",release="{{.Release}}",rev="{{.Revision}}",pod_template_hash=~"{{.PodTemplateHash}}"}`, vars,
			`x{namespace="shop",release="web",rev="7",pod_template_hash=~"5d8f|b7c9"}`, ""},
		{"spaces inside the braces", `x{namespace="{{ .Namespace }}"}`, vars, `x{namespace="shop"}`, ""},
		{"used twice", `a{ns="{{.Namespace}}"} / b{ns="{{.Namespace}}"}`, vars, `a{ns="shop"} / b{ns="shop"}`, ""},
		{"unknown variable with a suggestion", `x{ns="{{.namespace}}"}`, vars, "", "unknown template variable {{.namespace}}; did you mean {{.Namespace}}?"},
		{"unknown variable", `x{ns="{{.Cluster}}"}`, vars, "", "unknown template variable {{.Cluster}}; known variables are {{.Namespace}}, {{.Release}}, {{.Revision}}, {{.PodTemplateHash}}"},
		{"not a variable", `x{ns="{{Namespace}}"}`, vars, "", "{{Namespace}} is not a template variable"},
		{"a pipeline is not a variable", `x{ns="{{.Namespace | upper}}"}`, vars, "", "is not a template variable"},
		{"unclosed", `x{ns="{{.Namespace"}`, vars, "", "is not closed"},
		{"hash not known yet", `x{pod_template_hash=~"{{.PodTemplateHash}}"}`, QueryVars{Namespace: "shop"}, "", "{{.PodTemplateHash}} is not known yet"},
		{"revision not known yet", `x{rev="{{.Revision}}"}`, QueryVars{}, "", "{{.Revision}} is not known yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpandQuery(tt.query, tt.vars)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	used, err := UsedVariables(`a{x="{{.Release}}",y="{{.Namespace}}"} / b{x="{{.Release}}"}`)
	if err != nil || strings.Join(used, ",") != "Release,Namespace" {
		t.Errorf("UsedVariables: %v, %v", used, err)
	}
}

func TestCheckQuery(t *testing.T) {
	vars := QueryVars{Namespace: "shop", Release: "web"}
	tests := []struct {
		name, query string
		lookback    time.Duration
		err         string
		line, col   int
	}{
		{"textbook ratio", `sum(rate(http_requests_total{code=~"5.."}[20s])) / sum(rate(http_requests_total[20s]))`, 20 * time.Second, "", 0, 0},
		{"scoped to the new pods", `sum(rate(http_requests_total{namespace="{{.Namespace}}",pod_template_hash=~"{{.PodTemplateHash}}"}[30s]))`, 30 * time.Second, "", 0, 0},
		{"syntax error: position in the query as written", `sum(rate(http_requests_total{code=~"5.."[20s]))`, 0,
			`PromQL syntax error at 1:41 of the query (after "sum(rate(http_requests_total{code=~\"5..\""): unexpected character inside braces: '['`, 1, 41},
		{"syntax error after a variable keeps the written position", `x{ns="{{.Namespace}}"} +`, 0,
			"PromQL syntax error at 1:25 of the query", 1, 25},
		{"syntax error on a later line", "sum(rate(x[1m]))\n  / sum(rate(y[1m]) by (code)", 0, `at 2:21 of the query (after "/ sum(rate(y[1m]) "): unexpected <by> in aggregation`, 2, 21},
		{"unknown function", `summ(rate(x[1m]))`, 0, `unknown function with name "summ"`, 1, 1},
		{"range vector", `http_requests_total[5m]`, 0, "returns a range vector", 0, 0},
		{"string", `"hello"`, 0, "returns a string", 0, 0},
		{"unknown variable", `x{ns="{{.Namespaces}}"}`, 0, "did you mean {{.Namespace}}?", 0, 0},
		{"hash in an equality matcher", `x{pod_template_hash="{{.PodTemplateHash}}"}`, 0, `pod_template_hash=~"{{.PodTemplateHash}}"`, 0, 0},
		{"@ timestamp", `rate(x[1m] @ 100)`, 0, "remove the @ modifier", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lb, err := CheckQuery(tt.query, vars)
			if tt.err == "" {
				if err != nil || lb.Total != tt.lookback {
					t.Fatalf("lookback %v, %v; want %v", lb, err, tt.lookback)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error %T, want *QueryError", err)
			}
			if tt.line > 0 && (qe.Line != tt.line || qe.Column != tt.col) {
				t.Errorf("position %d:%d, want %d:%d", qe.Line, qe.Column, tt.line, tt.col)
			}
		})
	}
}

func TestLoadChecksGateQueries(t *testing.T) {
	gates := func(query string) string {
		return header + `  source: {path: ./deploy}
  verify:
    metrics:
      prometheus: {address: "http://127.0.0.1:9090", scrapeInterval: 15s}
      gates:
        - name: error-rate
          max: 0.01
          query: ` + query + `
`
	}
	rel, err := parse(t, gates(`'sum(rate(http_requests_total{namespace="{{.Namespace}}",code=~"5.."}[2m] offset 30s))'`))
	if err != nil {
		t.Fatal(err)
	}
	m := rel.Spec.Verify.Metrics
	if got := m.Gates[0].Lookback; got != (Lookback{Total: 150 * time.Second, Range: 2 * time.Minute, Offset: 30 * time.Second}) {
		t.Errorf("lookback filled at load: %+v", got)
	}
	if m.Prometheus.ScrapeInterval.Duration != 15*time.Second {
		t.Errorf("scrapeInterval %v", m.Prometheus.ScrapeInterval)
	}
	for query, want := range map[string]string{
		`'sum(rate(x{code=~"5.."[1m]))'`: `kship.yaml:14: spec.verify.metrics.gates[0].query: PromQL syntax error at 1:23 of the query (after "sum(rate(x{code=~\"5..\""): unexpected character inside braces: '['`,
		`'x{namespace="{{.Namspace}}"}'`: `kship.yaml:14: spec.verify.metrics.gates[0].query: unknown template variable {{.Namspace}}; did you mean {{.Namespace}}?`,
		`'x @ 1700000000'`:               `kship.yaml:14: spec.verify.metrics.gates[0].query: x @ 1700000000.000 is pinned to a fixed time with @`,
	} {
		_, err := parse(t, gates(query))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %s", query, err, want)
		}
	}
	_, err = parse(t, strings.Replace(gates(`up`), "scrapeInterval: 15s", "scrapeInterval: 0s", 1))
	if err == nil || !strings.Contains(err.Error(), "spec.verify.metrics.prometheus.scrapeInterval: must be positive") {
		t.Errorf("scrapeInterval 0s: %v", err)
	}
}
