package release_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/validate"
)

// The verdict is honest: taken on a window that holds only samples of the
// new revision, against the real Prometheus. Each test also evaluates the
// same gate as kship did before (once, at readiness) and shows that it
// would have given the wrong verdict.

// evidenceOf reads back the gate events of an attempt's evidence.json.
type gateEvidence struct {
	placed       []gate.Placed
	waits        []gate.Wait
	measurements []gate.Measurement // in verify, stabilize and rollback
	decisions    []string
}

func readGateEvidence(t testing.TB, out *event.Outcome) gateEvidence {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out.EvidenceDir, "evidence.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Events []struct {
			Type    event.Type      `json:"type"`
			Stage   event.Stage     `json:"stage"`
			Message string          `json:"message"`
			Data    json.RawMessage `json:"data"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	var ev gateEvidence
	for _, e := range b.Events {
		var err error
		switch e.Type {
		case event.TypeGatePlaced:
			var p gate.Placed
			err = json.Unmarshal(e.Data, &p)
			ev.placed = append(ev.placed, p)
		case event.TypeGateWait:
			var w gate.Wait
			err = json.Unmarshal(e.Data, &w)
			ev.waits = append(ev.waits, w)
		case event.TypeGate:
			var m gate.Measurement
			err = json.Unmarshal(e.Data, &m)
			if !m.IsBaseline {
				ev.measurements = append(ev.measurements, m)
			}
		case event.TypeDecision:
			ev.decisions = append(ev.decisions, e.Message)
		}
		if err != nil {
			t.Fatalf("%s event: %v", e.Type, err)
		}
	}
	return ev
}

// atReadiness evaluates gates as kship did before it waited for
// post-rollout windows: once, at the moment the rollout was done.
func atReadiness(t *testing.T, r *e2eRelease, gates []config.Gate, placed gate.Placed, vars config.QueryVars) []gate.Measurement {
	t.Helper()
	q, err := gate.NewPrometheus(r.env.Prometheus)
	if err != nil {
		t.Fatal(err)
	}
	e := &gate.Evaluator{Q: q, Now: func() time.Time { return placed.RolloutDone }, Vars: vars}
	return e.Evaluate(t.Context(), gates, nil, nil)
}

// postRollout fails unless m was judged on a window wholly after the
// rollout of p.
func postRollout(t *testing.T, m gate.Measurement, p gate.Placed) {
	t.Helper()
	w := m.Window
	if w == nil || !w.PostRollout || w.From.Before(p.RolloutDone) || !w.RolloutDone.Equal(p.RolloutDone) {
		t.Errorf("%s: window %+v is not wholly after the rollout done at %s", m.Gate, w, p.RolloutDone)
	}
}

// baselineBreach is the baseline warning's value against the max.
var baselineBreach = regexp.MustCompile(`the baseline 0\.[0-9]+ measured before the rollout already breaks max 0\.05`)

func gatesOf(t *testing.T, file string) []config.Gate {
	t.Helper()
	rel, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return rel.Spec.Verify.Metrics.Gates
}

// The "healthy release rolled back": the textbook ratio, scoped to
// the new pods, with the default noData: fail, on a first release. A
// second gate's numerator has no series at all (no 503 ever happened):
// judged 0, not "no data".
func TestE2EHonestTextbookRatioVerifiesAHealthyFirstRelease(t *testing.T) {
	t.Parallel()
	r := newE2ERelease(t, "kship-honest1-")
	sel := fmt.Sprintf(`namespace=%q,app="app",pod_template_hash=~"{{.PodTemplateHash}}"`, r.ns)
	r.gates = fmt.Sprintf(`
    metrics:
      prometheus: {address: %q}
      gates:
        - name: error-rate
          query: 'sum(rate(http_requests_total{%[2]s,code=~"5.."}[20s])) / sum(rate(http_requests_total{%[2]s}[20s]))'
          max: 0.01
        - name: unavailable
          query: 'sum(rate(http_requests_total{%[2]s,code="503"}[20s])) / sum(rate(http_requests_total{%[2]s}[20s]))'
          max: 0.01`, r.env.Prometheus, sel)
	file := r.write(e2eApp{version: "v1", secret: "honest-secret-1a"})
	out := r.deploy(file)
	r.expect(out, 0)
	ev := readGateEvidence(t, out)
	if len(ev.placed) != 1 || len(ev.waits) != 2 || len(ev.measurements) != 2 {
		t.Fatalf("placed %d, waits %d, measurements %d: want 1, 2, 2", len(ev.placed), len(ev.waits), len(ev.measurements))
	}
	p := ev.placed[0]
	for _, w := range ev.waits {
		if !strings.Contains(w.Message, "waiting") || !strings.Contains(w.Message, "for post-rollout data: range 20s + 2 scrapes of") {
			t.Errorf("wait %q does not say what it waits for", w.Message)
		}
	}
	for _, m := range ev.measurements {
		postRollout(t, m, p)
		if m.Verdict != gate.Pass || m.Value == nil || *m.Value != 0 || m.Wait == nil || m.Vars == nil || len(m.Vars.PodTemplateHashes) != 1 {
			t.Errorf("%s: %s %q (wait %v, vars %v): want a pass on 0 with its wait and vars", m.Gate, m.Verdict, m.Message, m.Wait, m.Vars)
		}
		if strings.Contains(m.Query, "{{") || !strings.Contains(m.Query, m.Vars.PodTemplateHashes[0]) {
			t.Errorf("%s: query as sent %q is not expanded with the new pods' hash", m.Gate, m.Query)
		}
	}
	if m := ev.measurements[len(ev.measurements)-1]; !strings.Contains(m.Message, "so the ratio is 0") {
		t.Errorf("the 503 ratio's message %q does not say its numerator was empty", m.Message)
	}
	// Before: one evaluation at readiness, on a window Prometheus had not
	// filled with the new pods' samples: no data, noData fail, rolled back.
	vars := *ev.measurements[0].Vars
	for _, m := range atReadiness(t, r, gatesOf(t, file), p, vars) {
		if m.Verdict == gate.Pass {
			t.Errorf("%s at readiness: %s %q: the old behaviour would have verified it too, so this test shows nothing", m.Gate, m.Verdict, m.Message)
		}
	}
}

// kship init's gate (the namespace's error ratio over [1m], noData fail, no
// stabilize window) on an update whose new pods answer 50% errors while
// the old ones answered none: before, such an update was verified 2.5 s
// after Ready on a window filled by the previous version's traffic; now it
// is rolled back on a window of its own.
func TestE2EHonestInitGateCatches50PercentErrors(t *testing.T) {
	t.Parallel()
	r := newE2ERelease(t, "kship-honest2-")
	sel := fmt.Sprintf(`namespace=%q,app="app"`, r.ns)
	r.gates = fmt.Sprintf(`
    metrics:
      prometheus: {address: %q}
      gates:
        - name: error-rate
          query: 'sum(rate(http_requests_total{%[2]s,code=~"5.."}[1m])) / sum(rate(http_requests_total{%[2]s}[1m]))'
          max: 0.01
          noData: fail`, r.env.Prometheus, sel)
	before := r.deploy(r.write(e2eApp{version: "v1", secret: "honest-secret-2a"}))
	r.expect(before, 0)
	for _, m := range readGateEvidence(t, before).measurements {
		if m.Value == nil || *m.Value != 0 {
			t.Fatalf("v1's %s: %s %q: the old pods must answer no errors", m.Gate, m.Verdict, m.Message)
		}
	}
	file := r.write(e2eApp{version: "v2", secret: "honest-secret-2b", errorRate: "0.5"})
	out := r.deploy(file)
	r.expect(out, 3)
	if !strings.Contains(out.Trigger, "gate error-rate failed") {
		t.Errorf("trigger %q: want the error-rate gate", out.Trigger)
	}
	ev := readGateEvidence(t, out)
	if len(ev.placed) < 1 || len(ev.measurements) < 1 {
		t.Fatalf("placed %d, measurements %d", len(ev.placed), len(ev.measurements))
	}
	failing := ev.measurements[0]
	postRollout(t, failing, ev.placed[0])
	if failing.Verdict != gate.Fail || failing.Value == nil || *failing.Value < 0.25 {
		t.Errorf("first evaluation %s %q: want a fail near 0.5", failing.Verdict, failing.Message)
	}
	// The rollback is judged by the same gate, on a window after the restore.
	if len(ev.placed) != 2 {
		t.Fatalf("placed %d times, want 2 (the release, its rollback)", len(ev.placed))
	}
	last := ev.measurements[len(ev.measurements)-1]
	postRollout(t, last, ev.placed[1])
	deadline := false
	for _, d := range ev.decisions {
		deadline = deadline || strings.Contains(d, "rollback verification: each gate judged on a window wholly after the restored pods were ready, deadline")
	}
	if !deadline {
		t.Errorf("the rollback's deadline is not said among the decisions %q", ev.decisions)
	}
	if last.Verdict != gate.Pass {
		t.Errorf("rollback's evaluation %s %q: want a pass on v1's restored pods", last.Verdict, last.Message)
	}
	// Before: at readiness the [1m] window was v1's traffic: verified.
	m := atReadiness(t, r, gatesOf(t, file), ev.placed[0], config.QueryVars{})[0]
	if m.Verdict != gate.Pass {
		t.Errorf("at readiness: %s %q: the old behaviour would not have verified it, so this test shows nothing", m.Verdict, m.Message)
	}
}

// After a bad release was rolled back, the next healthy one is not blamed
// for the old errors still inside its gate's longer window: the baseline
// warns, the verdict waits for a window of the new revision's own.
func TestE2EHonestNextReleaseNotBlamedForOldErrors(t *testing.T) {
	t.Parallel()
	r := newE2ERelease(t, "kship-honest3-")
	gates := func(window string) string {
		sel := fmt.Sprintf(`namespace=%q,app="app"`, r.ns)
		return fmt.Sprintf(`
    metrics:
      prometheus: {address: %q}
      gates:
        - name: error-rate
          query: 'sum(rate(http_requests_total{%[2]s,code=~"5.."}[%[3]s])) / sum(rate(http_requests_total{%[2]s}[%[3]s]))'
          max: 0.05`, r.env.Prometheus, sel, window)
	}
	r.gates = gates("15s")
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "honest-secret-3a"})), 0)
	r.expect(r.deploy(r.write(e2eApp{version: "v2", secret: "honest-secret-3b", errorRate: "0.5"})), 3)
	r.gates = gates("90s")
	file := r.write(e2eApp{version: "v3", secret: "honest-secret-3c"})
	// kship check says it before anything is written, with the number.
	p, err := release.Prepare(t.Context(), release.PrepareOptions{ReleaseFile: file, Clients: r.clients, EvidenceDir: r.evidence, ReadHistory: true, Catalog: cli.Catalog()})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	var warning string
	for _, c := range p.Report.Checks {
		if c.Status == validate.Warn && strings.Contains(c.Message, "baseline warning") {
			warning = c.Message
		}
	}
	if !baselineBreach.MatchString(warning) || !strings.Contains(warning, "not blamed on it") || p.Report.Blocking() {
		t.Errorf("check: baseline warning %q (blocking %v): want the value measured over max 0.05, not blocking", warning, p.Report.Blocking())
	}
	t.Logf("check: %s", warning)
	out := r.deploy(file)
	r.expect(out, 0)
	ev := readGateEvidence(t, out)
	warned := false
	for _, d := range ev.decisions {
		warned = warned || (strings.Contains(d, "baseline warning") && strings.Contains(d, "not blamed on it"))
	}
	if !warned {
		t.Errorf("no baseline warning among the decisions %q", ev.decisions)
	}
	if !baselineBreach.MatchString(r.outputs.String()) {
		t.Errorf("deploy's output does not show the baseline warning with its value")
	}
	postRollout(t, ev.measurements[0], ev.placed[0])
	// Before: at readiness the window held v2's errors: rolled back.
	m := atReadiness(t, r, gatesOf(t, file), ev.placed[0], config.QueryVars{})[0]
	if m.Verdict != gate.Fail {
		t.Errorf("at readiness: %s %q: the old behaviour would not have blamed v3, so this test shows nothing", m.Verdict, m.Message)
	}
}
