package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/validate"
)

// placeholderHash stands for the new pods' pod-template-hash in a query
// sent before they exist: the query runs, it selects nothing of theirs.
const placeholderHash = "kship-check-no-pods-yet"

// seriesLookback is how far back a metric's series are looked for.
const seriesLookback = time.Hour

const addressPath = "spec.verify.metrics.prometheus.address"

// prometheus probes the Prometheus address and every gate query there.
func (p *Prober) prometheus(ctx context.Context, in Input, m *config.Metrics) []validate.Check {
	fail := func(format string, args ...any) []validate.Check {
		return []validate.Check{item(in, addressPath, validate.Fail, fmt.Sprintf(format, args...), "probed before the first write from where kship runs")}
	}
	raw, err := config.ExpandEnv(m.Prometheus.Address, p.Getenv)
	if err != nil {
		return fail("%s %q: %v", addressPath, m.Prometheus.Address, err)
	}
	u, err := parseURL(raw)
	if err != nil {
		return fail("Prometheus address %q: %v: write its base URL, e.g. http://127.0.0.1:9090", redact(raw), err)
	}
	shown := u.Redacted()
	if _, err := p.resolve(ctx, u.Hostname()); err != nil {
		return fail("Prometheus at %s: host %s does not resolve (%s): deploy could not evaluate a gate and would roll the release back; what to do: write an address that resolves from where kship runs",
			shown, u.Hostname(), lookupReason(err))
	}
	c, err := gate.NewPrometheusClient(raw, p.client())
	if err != nil {
		return fail("Prometheus at %s: %v", shown, err)
	}
	if why := p.queryAPI(ctx, c); why != "" {
		return fail("Prometheus at %s %s", shown, why)
	}
	out, metrics := p.gates(ctx, in, c.API(), m.Gates)
	pass := fmt.Sprintf("Prometheus at %s answers its query API; %d gate %s ran there", shown, len(m.Gates), plural(len(m.Gates), "query", "queries"))
	if len(metrics) > 0 {
		pass += fmt.Sprintf("; %s %s series", strings.Join(metrics, ", "), plural(len(metrics), "has", "have"))
	}
	out = append(out, p.baseline(ctx, in, c, m.Gates)...)
	return append([]validate.Check{item(in, addressPath, validate.Pass, pass, "queries before the first write from where kship runs")}, out...)
}

// queryAPI asks for vector(1) and says what is wrong with the answer
// ("" when it is a query API's).
func (p *Prober) queryAPI(ctx context.Context, c *gate.Prometheus) string {
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	u := c.URL("/api/v1/query")
	u.RawQuery = "query=" + url.QueryEscape("vector(1)")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Sprintf(": %v", err)
	}
	resp, body, err := c.Do(ctx, req)
	if err != nil {
		return fmt.Sprintf("does not answer: %v; deploy could not evaluate a gate and would roll the release back; what to do: check that Prometheus runs and that the address (host and port) is right",
			dialReason(ctx, unwrapURL(err), p.timeout()))
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Sprintf("refuses kship's query (%s): what to do: give credentials it accepts in the address (https://user:password@host; never printed) or query a Prometheus that needs none", resp.Status)
	case resp.StatusCode != http.StatusOK:
		return fmt.Sprintf("answers %s to /api/v1/query, so the address is not a Prometheus query API: write the server's base URL (e.g. http://127.0.0.1:9090, without /api/v1 or /graph)", resp.Status)
	}
	var r struct{ Status string }
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		return "answers /api/v1/query with something that is not a Prometheus API answer: write the server's base URL (e.g. http://127.0.0.1:9090)"
	}
	return ""
}

// gates runs every gate query and looks for the series of each metric it
// names; it returns the findings and the metrics found.
func (p *Prober) gates(ctx context.Context, in Input, a promv1.API, gates []config.Gate) ([]validate.Check, []string) {
	vars := config.QueryVars{Namespace: in.Release.Spec.Namespace, Release: in.Release.Metadata.Name, Revision: max(in.Revision, 1), PodTemplateHashes: []string{placeholderHash}}
	var out []validate.Check
	var found []string
	seen := map[string]bool{}
	for i, g := range gates {
		path := fmt.Sprintf("spec.verify.metrics.gates[%d].query", i)
		q, err := config.ExpandQuery(g.Query, vars)
		if err != nil {
			out = append(out, item(in, path, validate.Fail, fmt.Sprintf("gate %s: %v", g.Name, err), "the query's template variables"))
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, p.timeout())
		_, _, _, err = a.Query(qctx, q, p.now())
		cancel()
		if err != nil {
			out = append(out, item(in, path, validate.Fail, fmt.Sprintf("gate %s: Prometheus refuses the query: %v; deploy could not evaluate this gate and would roll the release back; what to do: fix the query (it was sent as %s)", g.Name, err, q), "the query sent once before the first write"))
			continue
		}
		for _, name := range metricNames(q) {
			if seen[name] {
				continue
			}
			seen[name] = true
			has, err := p.hasSeries(ctx, a, name)
			switch {
			case err != nil:
				out = append(out, item(in, path, validate.Warn, fmt.Sprintf("gate %s: could not tell whether metric %s has series: %v", g.Name, name, err), "the series API"))
			case !has:
				out = append(out, item(in, path, validate.Warn, fmt.Sprintf("gate %s: Prometheus has no series of %s in the last %s: if the new pods export it, it appears once they are scraped; if not, check the name: after the rollout the gate would have no data and its noData policy (%s) decides",
					g.Name, name, seriesLookback, g.NoData), "the series API, over the last "+seriesLookback.String()))
			default:
				found = append(found, name)
			}
		}
	}
	return out, found
}

// hasSeries reports whether Prometheus has any series named name over
// the last seriesLookback.
func (p *Prober) hasSeries(ctx context.Context, a promv1.API, name string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	now := p.now()
	vals, _, _, err := a.LabelValues(ctx, labels.MetricName, []string{fmt.Sprintf("{%s=%q}", labels.MetricName, name)}, now.Add(-seriesLookback), now)
	if err != nil {
		return false, err
	}
	return len(vals) > 0, nil
}

// metricNames are the metric names the selectors of q name, each once,
// in query order.
func metricNames(q string) []string {
	expr, err := config.ParseQuery(q)
	if err != nil {
		return nil
	}
	var names []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
		return nil
	})
	return names
}

// unwrapURL drops the *url.Error around a transport error (it repeats the
// URL, which may hold credentials).
func unwrapURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
