package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/kship/kship/internal/config"
)

// prometheus is a Querier and TargetLister over the Prometheus HTTP API.
type prometheus struct {
	address string
	client  api.Client
	api     promv1.API
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
	u, err := url.Parse(expanded)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus address %q: want a base URL such as http://127.0.0.1:9090", address)
	}
	c, err := api.NewClient(api.Config{Address: expanded})
	if err != nil {
		return nil, fmt.Errorf("prometheus address %q: %w", u.Redacted(), err)
	}
	return &prometheus{address: u.Redacted(), client: c, api: promv1.NewAPI(c)}, nil
}

// Query runs an instant query at ts. Warnings and infos from the server are dropped.
func (p *prometheus) Query(ctx context.Context, query string, ts time.Time) (model.Value, error) {
	v, _, _, err := p.api.Query(ctx, query, ts)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", p.address, err)
	}
	return v, nil
}

// Targets reads the active targets from /api/v1/targets, with each one's
// scrapeInterval; when a target does not report it (an old server), the
// scrape pools' intervals are read from /api/v1/status/config.
func (p *prometheus) Targets(ctx context.Context) (Targets, error) {
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
