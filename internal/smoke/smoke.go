// Package smoke runs a release's smoke checks after its rollout: HTTP
// requests with expectations (status, body substring or regex), retried with
// exponential backoff under a per-try timeout, and Jobs run to completion in
// the release namespace (exit code and log tail recorded). Every try is
// recorded; every result says what was expected and what came back, and is
// emitted as an event.TypeSmoke event.
//
// HTTP URLs may name environment variables (${KSHIP_INGRESS}), so one release
// file works on every machine; a Host header sets the request's Host, which
// is how a check reaches a Service through an ingress by name:
//
//	http: {url: "http://${KSHIP_INGRESS}/healthz", headers: {Host: web.shop}}
//
// Redirects are not followed: a check sees exactly what the server answered.
// Header values are never printed (they may hold credentials), nor is the
// user:password part of a URL.
//
// Job checks need, in the release namespace: jobs (batch) create, get, list,
// watch, delete; pods list; pods/log get (logs are optional: without them
// the result says "logs unavailable" and why).
package smoke

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
)

// Defaults of a check.
const (
	DefaultBackoff     = time.Second
	MaxBackoff         = 30 * time.Second
	DefaultHTTPTimeout = 5 * time.Second
	DefaultJobTimeout  = 2 * time.Minute
	DefaultStatus      = http.StatusOK
)

// Kinds of checks.
const (
	KindHTTP = "http"
	KindJob  = "job"
)

// Runner runs smoke checks.
type Runner struct {
	// HTTP sends HTTP checks; nil means a client that does not follow
	// redirects.
	HTTP *http.Client
	// Typed runs Job checks.
	Typed kubernetes.Interface
	Now   func() time.Time
	// Getenv expands ${VAR} in URLs (os.LookupEnv when nil).
	Getenv func(string) (string, bool)
	// Stage is the stage events are emitted under (verify when empty).
	Stage event.Stage
}

// Try is one attempt of a check.
type Try struct {
	Attempt  int           `json:"attempt"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	Passed   bool          `json:"passed"`
	// Status is the HTTP status (0 when no answer).
	Status int `json:"status,omitempty"`
	// Body is the first 200 bytes of the answer.
	Body     string `json:"body,omitempty"`
	ExitCode *int   `json:"exitCode,omitempty"`
	// Job is the name of the Job the try ran.
	Job string `json:"job,omitempty"`
	// Got says what came back, in words.
	Got string `json:"got"`
}

// Result is the outcome of one check.
type Result struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Passed   bool   `json:"passed"`
	Attempts int    `json:"attempts"`
	// Target is what was checked: "GET http://... (Host web.shop)" or the Job's image.
	Target string `json:"target"`
	// Expected says what would have passed.
	Expected string `json:"expected"`
	// Status is the last HTTP status (0 when none).
	Status  int    `json:"status,omitempty"`
	Message string `json:"message"`
	// ExitCode is the last Job pod's exit code.
	ExitCode *int          `json:"exitCode,omitempty"`
	LogTail  string        `json:"logTail,omitempty"`
	Duration time.Duration `json:"duration"`
	Tries    []Try         `json:"tries"`
}

// EventType is event.TypeSmoke: a Result is the payload of its
// smoke.result event.
func (Result) EventType() event.Type { return event.TypeSmoke }

// Run runs checks in order and returns one Result each, emitting an
// event.TypeSmoke event per result.
func (r *Runner) Run(ctx context.Context, ns string, checks []config.SmokeCheck, sink event.Sink) []Result {
	out := make([]Result, 0, len(checks))
	for _, c := range checks {
		start := r.now()
		var res Result
		switch {
		case c.HTTP != nil:
			res = r.runHTTP(ctx, c)
		case c.Job != nil:
			res = r.runJob(ctx, ns, c)
		default:
			res = Result{Name: c.Name, Message: fmt.Sprintf("smoke check %q has neither http nor job", c.Name)}
		}
		res.Duration = r.now().Sub(start)
		out = append(out, res)
		r.emit(sink, res)
	}
	return out
}

// try runs one attempt under its own timeout.
type tryFunc func(ctx context.Context, attempt int) Try

// retry runs fn up to 1+c.Retries times until a try passes, waiting
// c.Backoff (doubling, at most MaxBackoff) between tries.
func (r *Runner) retry(ctx context.Context, c config.SmokeCheck, timeout time.Duration, fn tryFunc) []Try {
	if c.Timeout.Duration > 0 {
		timeout = c.Timeout.Duration
	}
	wait := c.Backoff.Duration
	if wait <= 0 {
		wait = DefaultBackoff
	}
	var tries []Try
	for attempt := 1; attempt <= 1+max(c.Retries, 0); attempt++ {
		if attempt > 1 && !sleep(ctx, wait) {
			break
		}
		if attempt > 1 {
			wait = min(2*wait, MaxBackoff)
		}
		tctx, cancel := context.WithTimeout(ctx, timeout)
		start := r.now()
		t := fn(tctx, attempt)
		cancel()
		t.Attempt, t.Start, t.Duration = attempt, start, r.now().Sub(start)
		tries = append(tries, t)
		if t.Passed || ctx.Err() != nil {
			break
		}
	}
	return tries
}

// sleep waits d or until ctx ends; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// finish fills a Result's verdict and message from its tries.
func finish(res *Result, tries []Try) {
	res.Tries, res.Attempts = tries, len(tries)
	if len(tries) == 0 {
		res.Message = fmt.Sprintf("%s: not run (cancelled)", res.Target)
		return
	}
	last := tries[len(tries)-1]
	res.Passed, res.Status, res.ExitCode = last.Passed, last.Status, last.ExitCode
	if last.Passed {
		res.Message = fmt.Sprintf("%s: %s, as expected (%s) on try %d", res.Target, last.Got, res.Expected, last.Attempt)
		return
	}
	res.Message = fmt.Sprintf("%s: expected %s; got %s (after %d %s)", res.Target, res.Expected, last.Got, len(tries), plural(len(tries), "try", "tries"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (r *Runner) emit(sink event.Sink, res Result) {
	if sink == nil {
		return
	}
	stage := r.Stage
	if stage == "" {
		stage = event.StageVerify
	}
	sink.Emit(event.Event{Time: r.now(), Stage: stage, Type: event.TypeSmoke, Object: "smoke " + res.Name, Message: res.Message, Data: res})
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
