package view

import (
	"bytes"
	"encoding/json"
	"flag"
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
