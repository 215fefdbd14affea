package gate

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// prometheus is a Querier over the Prometheus HTTP API.
type prometheus struct {
	address string
	api     promv1.API
}

// NewPrometheus returns a Querier for the Prometheus-compatible API at
// address (a base URL such as http://127.0.0.1:9090). The address may name
// environment variables, as in ${KSHIP_PROMETHEUS}, so one release file works
// on every machine; an unset variable is an error. Basic auth may be given
// in the URL (https://user:password@host); the password is never printed.
func NewPrometheus(address string) (Querier, error) {
	expanded, err := expandEnv(address)
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
	return &prometheus{address: u.Redacted(), api: promv1.NewAPI(c)}, nil
}

// Query runs an instant query at ts. Warnings and infos from the server are dropped.
func (p *prometheus) Query(ctx context.Context, query string, ts time.Time) (model.Value, error) {
	v, _, _, err := p.api.Query(ctx, query, ts)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", p.address, err)
	}
	return v, nil
}

// expandEnv replaces ${VAR} and $VAR with the environment's values; an unset
// variable is an error rather than an empty string.
func expandEnv(s string) (string, error) {
	var missing []string
	out := os.Expand(s, func(name string) string {
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", missing[0])
	}
	return out, nil
}
