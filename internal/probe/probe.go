// Package probe finds out, before the first write, whether what Verify will
// send to answers from where kship runs, so kship check and deploy refuse a
// release whose verification cannot work instead of applying it and failing
// afterwards:
//
//   - every URL and address of the release file expands (config.ExpandEnv:
//     an unset ${VAR} is a failure, offline too);
//   - every HTTP smoke check's host resolves; a check that reaches an
//     ingress by a Host header (http://${KSHIP_INGRESS}/healthz with
//     Host: web.shop) gets one request when its method is GET or HEAD (one
//     connection otherwise): any HTTP answer means the ingress is there,
//     since the app behind it may come with this release;
//   - the Prometheus address answers its query API (unreachable, refused
//     credentials, or not a query API are failures, each with its fix);
//     every gate query runs there (template variables filled with what is
//     known before the rollout), and each metric a gate names has series;
//     a metric without any is a warning, not a failure: the release's new
//     pods may be the first to export it;
//   - each gate with a min or max is measured on the revision running now,
//     as deploy measures its baseline: one the current state already
//     breaks is a warning with the value (it is not the new revision's
//     fault, and deploy does not blame it on it).
//
// It imports config, manifest and validate (the release file, the location
// of a finding, the check items it returns) and gate, a fourth kship
// package, to measure that baseline with the Evaluator deploy uses, so
// check and deploy say the same thing.
//
// Findings are check items of the family validate.IDVerifyTarget, located
// at their field of the release file.
package probe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/validate"
)

// DefaultTimeout bounds each probe (a lookup, a request, a query).
const DefaultTimeout = 5 * time.Second

// Title is the checklist title of the family.
const Title = "Verify targets"

// Resolver resolves host names; *net.Resolver is one.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Prober probes a release's verify targets.
type Prober struct {
	// HTTP sends the requests; nil means a client that follows no redirects.
	HTTP *http.Client
	// Resolver resolves smoke hosts; nil means net.DefaultResolver.
	Resolver Resolver
	// Getenv expands ${VAR} (os.LookupEnv when nil).
	Getenv func(string) (string, bool)
	// Timeout bounds each probe; 0 means DefaultTimeout.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Input is what Probe probes.
type Input struct {
	Release *config.Release
	// File is the release file's path as its findings should name it.
	File string
	// Revision is the revision a deploy would release ({{.Revision}}); 0: 1.
	Revision int
	// Current are the template variables of the revision running now (its
	// number, its pods' pod-template-hashes), as deploy fills them for its
	// baseline; nil measures no baseline.
	Current *config.QueryVars
}

// Probe probes every verify target of the release and returns one item
// per target: a pass that says what answered, or the problem and its fix.
func (p *Prober) Probe(ctx context.Context, in Input) []validate.Check {
	var out []validate.Check
	for i, c := range in.Release.Spec.Verify.Smoke {
		if c.HTTP != nil {
			out = append(out, p.smoke(ctx, in, i, c))
		}
	}
	if m := in.Release.Spec.Verify.Metrics; m != nil && len(m.Gates) > 0 {
		out = append(out, p.prometheus(ctx, in, m)...)
	}
	return out
}

// Offline is what an offline check says of the verify targets: an unset
// variable still fails (expanding needs no network), and one warning
// names what was not probed.
func Offline(in Input, getenv func(string) (string, bool)) []validate.Check {
	var checks []validate.Check
	var targets []string
	for _, f := range config.EnvFields(in.Release) {
		v, err := config.ExpandEnv(f.Value, getenv)
		if err != nil {
			checks = append(checks, item(in, f.Path, validate.Fail, fmt.Sprintf("%s %q: %v", f.Path, f.Value, err), "the environment of this kship"))
			continue
		}
		if _, err := parseURL(v); err != nil {
			checks = append(checks, item(in, f.Path, validate.Fail, fmt.Sprintf("%s %q expands to %q: %v", f.Path, f.Value, redact(v), err), "the environment of this kship"))
			continue
		}
		targets = append(targets, hostOf(v))
	}
	if len(targets) == 0 {
		return checks
	}
	msg := fmt.Sprintf("not probed: --offline, so %s %s not resolved, requested or queried; deploy finds out whether %s",
		strings.Join(targets, ", "), plural(len(targets), "was", "were"), plural(len(targets), "it answers", "they answer"))
	return append(checks, validate.Check{ID: validate.IDVerifyTarget, Title: Title, Status: validate.Warn, Message: msg, Evidence: "offline check: no network"})
}

// item is one finding at a field of the release file.
func item(in Input, path string, st validate.Status, msg, evidence string) validate.Check {
	c := validate.Check{ID: validate.IDVerifyTarget, Title: Title, Status: st, Message: msg, Evidence: evidence}
	if in.File != "" {
		c.Source = manifest.Location{File: in.File, Line: in.Release.Line(path)}
	}
	return c
}

// resolve looks a host name up; an IP address needs no lookup.
func (p *Prober) resolve(ctx context.Context, host string) ([]string, error) {
	if net.ParseIP(host) != nil {
		return []string{host}, nil
	}
	r := p.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	return r.LookupHost(ctx, host)
}

func (p *Prober) client() *http.Client {
	if p.HTTP != nil {
		return p.HTTP
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (p *Prober) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// hostOf is the host[:port] of a URL for messages, s itself when it has none.
func hostOf(s string) string {
	if u, err := parseURL(s); err == nil {
		return u.Host
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
