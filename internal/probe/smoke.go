package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/validate"
)

// smoke probes one HTTP smoke check: its URL expands, its host resolves,
// and, when it reaches an ingress by a Host header, the ingress answers.
func (p *Prober) smoke(ctx context.Context, in Input, i int, c config.SmokeCheck) validate.Check {
	path := fmt.Sprintf("spec.verify.smoke[%d].http.url", i)
	name := fmt.Sprintf("smoke check %q", c.Name)
	fail := func(format string, args ...any) validate.Check {
		return item(in, path, validate.Fail, name+": "+fmt.Sprintf(format, args...), "probed before the first write from where kship runs")
	}
	raw, err := config.ExpandEnv(c.HTTP.URL, p.Getenv)
	if err != nil {
		return fail("url %q: %v", c.HTTP.URL, err)
	}
	u, err := parseURL(raw)
	if err != nil {
		return fail("url %q: %v", redact(raw), err)
	}
	addrs, err := p.resolve(ctx, u.Hostname())
	if err != nil {
		return fail("host %s does not resolve (%v): deploy would apply the release and then fail this check; what to do: use a host that resolves from where kship runs (an Ingress host in DNS, a LoadBalancer's address), or the ingress address with the Service's name as Host header, e.g. url: http://${KSHIP_INGRESS}%s with headers: {Host: <service>.<namespace>}",
			u.Hostname(), lookupReason(err), u.EscapedPath())
	}
	host := hostHeader(c.HTTP.Headers)
	if host == "" {
		return item(in, path, validate.Pass, fmt.Sprintf("%s: host %s resolves (%s); not requested before the release, since what answers there may come with it", name, u.Hostname(), strings.Join(first(addrs, 3), ", ")),
			"DNS lookup from where kship runs")
	}
	got, err := p.reach(ctx, c.HTTP, raw, host)
	if err != nil {
		return fail("%s (Host %s) does not answer: %v; deploy would apply the release and then fail this check; what to do: check that the ingress or load balancer at %s runs and that the address is right",
			u.Host, host, err, u.Host)
	}
	return item(in, path, validate.Pass, fmt.Sprintf("%s: %s answers for Host %s (%s before the release; the check expects %d after it)", name, u.Host, host, got, expectStatus(c.HTTP)),
		"one request before the first write from where kship runs")
}

// reach sends the check's request once when its method is safe (GET,
// HEAD) and says what came back; for any other method it only connects.
func (p *Prober) reach(ctx context.Context, h *config.HTTPCheck, raw, host string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	method := strings.ToUpper(h.Method)
	if method == "" {
		method = http.MethodGet
	}
	if method != http.MethodGet && method != http.MethodHead {
		u, _ := url.Parse(raw)
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", hostPort(u))
		if err != nil {
			return "", dialReason(ctx, err, p.timeout())
		}
		conn.Close()
		return "a connection, not requested: " + method + " is not safe to send before the release", nil
	}
	req, err := http.NewRequestWithContext(ctx, method, raw, nil)
	if err != nil {
		return "", err
	}
	for k, v := range h.Headers {
		if !strings.EqualFold(k, "Host") {
			req.Header.Set(k, v)
		}
	}
	req.Host = host
	resp, err := p.client().Do(req)
	if err != nil {
		return "", dialReason(ctx, err, p.timeout())
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return "HTTP " + resp.Status, nil
}

func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("not an http(s) URL with a host")
	}
	return u, nil
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

func hostHeader(h map[string]string) string {
	for k, v := range h {
		if strings.EqualFold(k, "Host") {
			return v
		}
	}
	return ""
}

func expectStatus(h *config.HTTPCheck) int {
	if h.ExpectStatus != 0 {
		return h.ExpectStatus
	}
	return http.StatusOK
}

// lookupReason is a lookup error without the resolver's address.
func lookupReason(err error) string {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		switch {
		case dns.IsNotFound:
			return "no such host"
		case dns.IsTimeout:
			return "the lookup timed out"
		}
		return dns.Err
	}
	return err.Error()
}

// dialReason says why a request got no answer.
func dialReason(ctx context.Context, err error, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", timeout)
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	return err
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "…")
	}
	return s
}

// redact removes a password from a URL for messages.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}
