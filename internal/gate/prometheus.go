package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/kship/kship/internal/config"
)

// Prometheus is kship's one client of a Prometheus-compatible HTTP API: the
// Querier and TargetLister the gates use (NewPrometheus), and what package
// probe asks before the first write (API, Do) over the same HTTP client and
// credentials. Basic auth may be given in the base URL
// (https://user:password@host); the password is never printed.
type Prometheus struct {
	address string // redacted, for messages
	client  api.Client
	api     promv1.API
}

// NewPrometheusClient returns the client of the Prometheus-compatible API at
// address, a base URL with its environment variables already expanded
// (http://127.0.0.1:9090); hc sends its requests (nil: the Prometheus Go
// client's default transport).
func NewPrometheusClient(address string, hc *http.Client) (*Prometheus, error) {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("want a base URL such as http://127.0.0.1:9090")
	}
	c, err := api.NewClient(api.Config{Address: address, Client: hc})
	if err != nil {
		return nil, err
	}
	return &Prometheus{address: u.Redacted(), client: c, api: promv1.NewAPI(c)}, nil
}

// NewPrometheus returns a Querier (and TargetLister) for the Prometheus-compatible API at
// address (a base URL such as http://127.0.0.1:9090). The address may name
// environment variables, as in ${KSHIP_PROMETHEUS}, expanded by
// config.ExpandEnv (an unset variable is its *config.EnvError). Basic auth may be given
// in the URL (https://user:password@host); the password is never printed.
func NewPrometheus(address string) (Querier, error) {
	expanded, err := config.ExpandEnv(address, nil)
	if err != nil {
		return nil, fmt.Errorf("prometheus address %q: %w", address, err)
	}
	p, err := NewPrometheusClient(expanded, nil)
	if err != nil {
		return nil, fmt.Errorf("prometheus address %q: %w", address, err)
	}
	return p, nil
}

// API is the Prometheus Go client's API over this client, for what a
// Querier does not ask (label values, the server's warnings).
func (p *Prometheus) API() promv1.API { return p.api }

// Do sends req (a URL from URL) and returns the answer and its body.
func (p *Prometheus) Do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	return p.client.Do(ctx, req)
}

// URL is the URL of the API endpoint ep ("/api/v1/query") at this client's
// address.
func (p *Prometheus) URL(ep string) *url.URL { return p.client.URL(ep, nil) }

// Query runs an instant query at ts. Warnings and infos from the server are dropped.
func (p *Prometheus) Query(ctx context.Context, query string, ts time.Time) (model.Value, error) {
	v, _, _, err := p.api.Query(ctx, query, ts)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", p.address, err)
	}
	return v, nil
}

// Targets reads the active targets from /api/v1/targets, with each one's
// scrapeInterval; when a target does not report it (an old server), the
// scrape pools' intervals are read from /api/v1/status/config.
func (p *Prometheus) Targets(ctx context.Context) (Targets, error) {
	u := p.client.URL("/api/v1/targets", nil)
	u.RawQuery = "state=active"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Targets{}, err
	}
	resp, body, err := p.client.Do(ctx, req)
	if err != nil {
		return Targets{}, fmt.Errorf("prometheus %s: targets: %w", p.address, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Targets{}, fmt.Errorf("prometheus %s: targets: %s", p.address, resp.Status)
	}
	ts, err := decodeTargets(body)
	if err != nil {
		return Targets{}, fmt.Errorf("prometheus %s: targets: %w", p.address, err)
	}
	for _, t := range ts.Active {
		if t.ScrapeInterval == 0 {
			if c, err := p.api.Config(ctx); err == nil {
				ts.PoolIntervals, _ = PoolIntervals(c.YAML)
			}
			break
		}
	}
	return ts, nil
}

// decodeTargets reads the targets API's answer.
func decodeTargets(body []byte) (Targets, error) {
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ActiveTargets []struct {
				DiscoveredLabels map[string]string `json:"discoveredLabels"`
				Labels           map[string]string `json:"labels"`
				ScrapePool       string            `json:"scrapePool"`
				ScrapeInterval   string            `json:"scrapeInterval"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return Targets{}, fmt.Errorf("not a targets API answer: %w", err)
	}
	if r.Status != "success" {
		return Targets{}, fmt.Errorf("%s: %s", r.Status, r.Error)
	}
	var ts Targets
	for _, a := range r.Data.ActiveTargets {
		t := Target{Labels: a.Labels, DiscoveredLabels: a.DiscoveredLabels, ScrapePool: a.ScrapePool}
		if a.ScrapeInterval != "" {
			d, err := promDuration(a.ScrapeInterval)
			if err != nil {
				return Targets{}, fmt.Errorf("target %s: scrapeInterval %q: %w", a.Labels["instance"], a.ScrapeInterval, err)
			}
			t.ScrapeInterval = d
		}
		ts.Active = append(ts.Active, t)
	}
	return ts, nil
}
