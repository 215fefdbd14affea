package view

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/event"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to accept):\n%s", path, got)
	}
}

// gateMeasured stands for a stage's gate payload (gate.Measurement): the
// view reads it only as an event.GatePayload.
type gateMeasured event.GateReading

func (gateMeasured) EventType() event.Type            { return event.TypeGate }
func (g gateMeasured) GateReading() event.GateReading { return event.GateReading(g) }

func ptr(v float64) *float64 { return &v }

var t0 = time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

func events() []event.Event {
	return []event.Event{
		{Time: t0, Stage: event.StageRollout, Type: event.TypeStageStarted, Message: "apply 3 objects of revision 2"},
		{Time: t0.Add(300 * time.Millisecond), Stage: event.StageRollout, Type: event.TypeStatus, Object: "Deployment shop/web",
			Message: "InProgress: Updated: 1/4", Data: event.ObjectStatus{Status: "InProgress", Message: "Updated: 1/4"}},
		{Time: t0.Add(2 * time.Second), Stage: event.StageRollout, Type: event.TypeFailure, Object: "Deployment shop/web",
			Message: "Deployment shop/web: pod web-1: CrashLoopBackOff"},
		{Time: t0.Add(2 * time.Second), Stage: event.StageVerify, Type: event.TypeGate, Message: "error-rate = 0.3 > max 0.05: fail",
			Data: gateMeasured{Gate: "error-rate", Value: ptr(0.3), Threshold: "max 0.05", Verdict: "fail"}},
		{Time: t0.Add(2100 * time.Millisecond), Stage: event.StageRollback, Type: event.TypeDecision, Message: "rollback trigger: CrashLoopBackOff"},
	}
}

func TestPlainLines(t *testing.T) {
	var b bytes.Buffer
	v := New(&b, Plain, t0)
	for _, e := range events() {
		v.Emit(e)
	}
	golden(t, "plain.golden.txt", b.String())
}

func TestJSONLinesThenOutcome(t *testing.T) {
	var b bytes.Buffer
	v := New(&b, JSON, t0)
	for _, e := range events() {
		v.Emit(e)
	}
	v.Result(&event.Outcome{Release: "web", Verdict: event.RolledBack, ExitCode: 3}, "ignored")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != len(events())+1 {
		t.Fatalf("%d lines, want %d", len(lines), len(events())+1)
	}
	for i, l := range lines {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v", i, err)
		}
		key := "event"
		if i == len(lines)-1 {
			key = "outcome"
		}
		if _, ok := m[key]; !ok {
			t.Errorf("line %d has no %q: %s", i, key, l)
		}
	}
}

func TestLiveBlockShowsReadinessAndGates(t *testing.T) {
	var b bytes.Buffer
	v := New(&b, Live, t0)
	for _, e := range events() {
		v.Emit(e)
	}
	out := b.String()
	for _, want := range []string{"objects ready 0/1", "waiting: Deployment shop/web InProgress", "gate error-rate: 0.3 (max 0.05) fail", "\x1b[1A\x1b[2K"} {
		if !strings.Contains(out, want) {
			t.Errorf("live output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Updated: 1/4") {
		t.Error("status transitions belong in the block, not in the scrolled lines")
	}
}

func TestSummaryGolden(t *testing.T) {
	o := &event.Outcome{Release: "web", Namespace: "shop", Verdict: event.RollbackFailed, ExitCode: 4, Revision: 3,
		Summary: "revision 3 failed and its rollback FAILED: restored revision 2 is not ready", Trigger: "smoke check health failed",
		Checked:     []string{"smoke health (http): passed", "after rollback: restored revision 2: all objects ready"},
		EvidenceDir: ".kship/evidence/web/3-20261126T010000Z", StartedAt: t0, FinishedAt: t0.Add(42 * time.Second),
		ManualSteps: "roll back with kship:\n  kship rollback web -n shop --to-revision 2\nor by hand with kubectl: see .kship/evidence/web/3-20261126T010000Z/rollback.md\n"}
	golden(t, "summary.golden.txt", Summary("deploy", o))
}

func TestModeFor(t *testing.T) {
	if ModeFor("json", os.Stdout) != JSON {
		t.Error("-o json must give JSON lines")
	}
	if ModeFor("human", &bytes.Buffer{}) != Plain {
		t.Error("a buffer is not a terminal")
	}
}

func TestRepeatedKubeEventsShownOnce(t *testing.T) {
	var buf bytes.Buffer
	v := New(&buf, Plain, t0)
	warn := func(reason, msg string) event.Event {
		return event.Event{Time: t0, Stage: event.StageRollout, Type: event.TypeKubeEvent, Object: "Service shop/web",
			Message: "Warning " + reason + " on Service web: " + msg, Data: event.KubeEvent{Reason: reason, Message: msg}}
	}
	v.Emit(warn("FailedToUpdateEndpointSlices", "first"))
	v.Emit(warn("FailedToUpdateEndpointSlices", "second"))
	v.Emit(warn("FailedCreate", "quota"))
	out := buf.String()
	if !strings.Contains(out, "first") || strings.Contains(out, "second") || !strings.Contains(out, "quota") {
		t.Errorf("want the first Event of each reason and no repeat, got:\n%s", out)
	}
}

// TestPlainOutputOfALargeReleaseIsBounded: 10,000 Deployments applied and
// watched to Current print 40 lines about them, the first line of each
// other kind and namespace, every failure, and a count of the rest per kind
// and namespace when the stage ends; a stage that never ends is summed up
// before the summary. A small release prints every line (TestPlainLines).
func TestPlainOutputOfALargeReleaseIsBounded(t *testing.T) {
	var buf bytes.Buffer
	v := New(&buf, Plain, t0)
	at := t0
	emit := func(stage event.Stage, typ event.Type, object, msg string, data event.Payload) {
		at = at.Add(time.Millisecond)
		v.Emit(event.Event{Time: at, Stage: stage, Type: typ, Object: object, Message: msg, Data: data})
	}
	const n = 10000
	emit(event.StageRollout, event.TypeStageStarted, "", "apply 10006 objects of revision 2", nil)
	for i := range n {
		emit(event.StageRollout, event.TypeApplied, fmt.Sprintf("Deployment shop/app%d", i), "configured", nil)
	}
	for i := range 5 {
		emit(event.StageRollout, event.TypeApplied, fmt.Sprintf("ConfigMap shop/cfg%d", i), "created", nil)
	}
	emit(event.StageRollout, event.TypeApplied, "Namespace shop", "unchanged", nil)
	emit(event.StageRollout, event.TypeApplied, "Secret shop/creds", "failed: forbidden", nil)
	for i := range n {
		ref := fmt.Sprintf("Deployment shop/app%d", i)
		emit(event.StageRollout, event.TypeStatus, ref, "InProgress", event.ObjectStatus{Status: "InProgress"})
		emit(event.StageRollout, event.TypeStatus, ref, "Current", event.ObjectStatus{Status: "Current"})
	}
	emit(event.StageRollout, event.TypeStatus, "Deployment shop/app9999", "Failed: ProgressDeadlineExceeded", event.ObjectStatus{Status: "Failed"})
	emit(event.StageRollout, event.TypeStageFinished, "", "rollout done", nil)
	emit(event.StageVerify, event.TypeStageStarted, "", "verify", nil)
	for i := range 100 {
		emit(event.StageVerify, event.TypeKubeEvent, fmt.Sprintf("Deployment other/app%d", i), "Warning FailedCreate", event.KubeEvent{Reason: "FailedCreate"})
	}
	v.Result(nil, "summary\n")

	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) > 120 {
		t.Errorf("%d lines for %d objects, want a bounded view:\n%s", len(lines), n, out)
	}
	for _, want := range []string{
		"Deployment shop/app0: configured",
		"ConfigMap shop/cfg0: created", // past the first 40: the first of its kind and namespace
		"Namespace shop: unchanged",
		"Secret shop/creds: failed: forbidden", // a failure is always shown
		"Deployment shop/app9999: Failed: ProgressDeadlineExceeded",
		// 10,000 applied + 20,000 statuses + 5 ConfigMaps + the Namespace, less the 40
		// shown and the first ConfigMap and Namespace lines
		"rollout   29964 more lines about objects not shown (evidence.json has every one), by kind and namespace:",
		"  Deployment shop: 29960 (applied configured 9960, status Current 10000, status InProgress 10000)",
		"  ConfigMap shop: 4 (applied created 4)",
		"verify    60 more lines about objects not shown", // never finished: before the summary
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "summary\n") || strings.Index(out, "■ rollout done") < strings.Index(out, "29964 more") {
		t.Errorf("the held-back count comes just before its stage's end, the summary last:\n%s", out)
	}
	if strings.Contains(out, "Deployment shop/app40: configured") {
		t.Errorf("the 41st line about a Deployment in shop was shown:\n%s", out)
	}
}
