package smoke

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
)

// maxBody is how much of an answer is read for the body expectations.
const maxBody = 1 << 20

// excerptLen is how much of a body a message quotes.
const excerptLen = 200

// httpCheck is an HTTP check ready to send.
type httpCheck struct {
	method  string
	url     string
	host    string
	headers map[string]string
	status  int
	re      *regexp.Regexp
	spec    *config.HTTPCheck
	timeout time.Duration
}

func (r *Runner) runHTTP(ctx context.Context, c config.SmokeCheck) Result {
	res := Result{Name: c.Name, Kind: KindHTTP}
	hc, err := r.prepareHTTP(c.HTTP)
	if err != nil {
		res.Target = c.HTTP.Method + " " + redact(c.HTTP.URL)
		res.Message = fmt.Sprintf("smoke check %q: %v", c.Name, err)
		return res
	}
	res.Target, res.Expected = hc.target(), hc.expected()
	hc.timeout = DefaultHTTPTimeout
	if c.Timeout.Duration > 0 {
		hc.timeout = c.Timeout.Duration
	}
	tries := r.retry(ctx, c, DefaultHTTPTimeout, func(ctx context.Context, _ int) Try { return r.sendHTTP(ctx, hc) })
	finish(&res, tries)
	return res
}

// prepareHTTP expands the URL and compiles the expectations once.
func (r *Runner) prepareHTTP(h *config.HTTPCheck) (*httpCheck, error) {
	raw, err := r.expand(h.URL)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q is not an http(s) URL with a host", redact(raw))
	}
	hc := &httpCheck{method: strings.ToUpper(h.Method), url: raw, status: h.ExpectStatus, spec: h, headers: map[string]string{}}
	if hc.method == "" {
		hc.method = http.MethodGet
	}
	if hc.status == 0 {
		hc.status = DefaultStatus
	}
	for k, v := range h.Headers {
		if strings.EqualFold(k, "Host") {
			hc.host = v
			continue
		}
		hc.headers[k] = v
	}
	if h.BodyRegex != "" {
		if hc.re, err = regexp.Compile(h.BodyRegex); err != nil {
			return nil, fmt.Errorf("bodyRegex %q: %w", h.BodyRegex, err)
		}
	}
	return hc, nil
}

// sendHTTP makes one try.
func (r *Runner) sendHTTP(ctx context.Context, hc *httpCheck) Try {
	req, err := http.NewRequestWithContext(ctx, hc.method, hc.url, nil)
	if err != nil {
		return Try{Got: "no request: " + err.Error()}
	}
	for k, v := range hc.headers {
		req.Header.Set(k, v)
	}
	if hc.host != "" {
		req.Host = hc.host
	}
	resp, err := r.client().Do(req)
	if err != nil {
		return Try{Got: "no answer: " + describeErr(ctx, err, hc.timeout)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	t := Try{Status: resp.StatusCode, Body: excerpt(body)}
	t.Got = fmt.Sprintf("%d with body %q", resp.StatusCode, t.Body)
	if err != nil {
		t.Got = fmt.Sprintf("%d, then the body broke off: %s", resp.StatusCode, describeErr(ctx, err, hc.timeout))
		return t
	}
	t.Passed = hc.matches(resp.StatusCode, body)
	return t
}

func (hc *httpCheck) matches(status int, body []byte) bool {
	if status != hc.status {
		return false
	}
	if hc.spec.BodyContains != "" && !strings.Contains(string(body), hc.spec.BodyContains) {
		return false
	}
	return hc.re == nil || hc.re.Match(body)
}

func (hc *httpCheck) expected() string {
	parts := []string{fmt.Sprintf("status %d", hc.status)}
	if hc.spec.BodyContains != "" {
		parts = append(parts, fmt.Sprintf("a body containing %q", hc.spec.BodyContains))
	}
	if hc.re != nil {
		parts = append(parts, fmt.Sprintf("a body matching /%s/", hc.re))
	}
	return strings.Join(parts, " and ")
}

func (hc *httpCheck) target() string {
	t := hc.method + " " + redact(hc.url)
	if hc.host != "" {
		t += " (Host " + hc.host + ")"
	}
	return t
}

func (r *Runner) client() *http.Client {
	if r.HTTP != nil {
		return r.HTTP
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// expand replaces ${VAR} and $VAR in s (config.ExpandEnv, from Getenv).
func (r *Runner) expand(s string) (string, error) {
	out, err := config.ExpandEnv(s, r.Getenv)
	if err != nil {
		return "", fmt.Errorf("url %q: %w", s, err)
	}
	return out, nil
}

// describeErr says why a try got no answer, naming the per-try timeout.
func describeErr(ctx context.Context, err error, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within the per-try timeout of %s", timeout)
	}
	return err.Error()
}

// excerpt is the first excerptLen bytes of body, marked when cut.
func excerpt(body []byte) string {
	if len(body) <= excerptLen {
		return string(body)
	}
	return string(body[:excerptLen]) + "…"
}

// redact removes a password from a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
