package release

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// logged reports whether a log event of the run mentions all of words.
func logged(h *harness, words ...string) bool {
	for _, e := range h.events {
		if e.Type != event.TypeLog {
			continue
		}
		all := true
		for _, w := range words {
			all = all && strings.Contains(e.Message, w)
		}
		if all {
			return true
		}
	}
	return false
}

// An evidence folder that cannot be written does not leave the revision
// pending: the verdict is recorded (and is the exit code), and the run says
// the bundle is missing. The write error used to return before the final
// save, leaving the revision pending and the run exiting 4.
func TestEvidenceWriteErrorStillRecordsTheVerdict(t *testing.T) {
	h := newHarness(t.TempDir())
	file := filepath.Join(h.dir, "not-a-folder")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.dir = file
	out := mustDeploy(t, h, 0)
	if got := h.hist.revs[1].Outcome; got != record.OutcomeDeployed {
		t.Errorf("revision 1 is %q, want deployed", got)
	}
	if !strings.Contains(out.Summary, "evidence bundle could NOT be written") || !logged(h, "write the evidence bundle") {
		t.Errorf("the missing bundle is not said: summary %q", out.Summary)
	}
}

// Every history save a rollback makes after its result is known is
// reported when it fails, never ignored: marking the restored revision
// superseded, recording the rollback revision's evidence digest, and a
// drill marking the drilled revision superseded.
func TestFailedHistorySavesAreReported(t *testing.T) {
	saveErr := errors.New("etcd unavailable")
	t.Run("restored revision superseded", func(t *testing.T) {
		h := newHarness(t.TempDir())
		h.hist.revs[1] = record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeDeployed, Objects: h.objs}
		h.smoke.pass = []bool{false}
		h.hist.failSave = func(r *record.Revision) error {
			if r.Number == 1 && r.Outcome == record.OutcomeSuperseded {
				return saveErr
			}
			return nil
		}
		mustDeploy(t, h, 3)
		if !logged(h, "mark revision 1 superseded", "etcd unavailable") {
			t.Errorf("the failed save is not reported; calls:\n%s", strings.Join(h.s.list(), "\n"))
		}
	})
	t.Run("rollback revision's evidence digest", func(t *testing.T) {
		h := newHarness(t.TempDir())
		h.hist.revs[1] = record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeDeployed, Objects: h.objs}
		h.smoke.pass = []bool{false}
		h.hist.failSave = func(r *record.Revision) error {
			if r.Number == 3 && r.EvidenceDigest != "" {
				return saveErr
			}
			return nil
		}
		mustDeploy(t, h, 3)
		if !logged(h, "evidence digest of revision 3", "etcd unavailable") {
			t.Errorf("the failed save is not reported; calls:\n%s", strings.Join(h.s.list(), "\n"))
		}
	})
	t.Run("drilled revision superseded", func(t *testing.T) {
		h := newHarness(t.TempDir())
		h.hist.revs[1] = record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeSuperseded,
			Objects: []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"data": map[string]any{"v": "1"}})}}
		h.hist.revs[2] = record.Revision{Release: "web", Namespace: "shop", Number: 2, Outcome: record.OutcomeDeployed, Objects: h.objs}
		h.hist.failSave = func(r *record.Revision) error {
			if r.Number == 2 && r.Outcome == record.OutcomeSuperseded {
				return saveErr
			}
			return nil
		}
		if _, err := h.rollback(RollbackOptions{Drill: true}); err != nil {
			t.Fatal(err)
		}
		if !logged(h, "revision 2 superseded by the drill", "etcd unavailable") {
			t.Errorf("the failed save is not reported; calls:\n%s", strings.Join(h.s.list(), "\n"))
		}
	})
}

// The deploy's redactor masks the Secrets of the revision its rollback
// restores, not only the new revision's: a value of the previous
// revision's Secret that reaches the stream is masked in the evidence.
func TestDeployMasksThePreviousRevisionsSecrets(t *testing.T) {
	h := newHarness(t.TempDir())
	old := obj("Secret", "old-token", map[string]any{"stringData": map[string]any{"token": "old-secret-value-1"}})
	h.hist.revs[1] = record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeDeployed,
		Objects: append([]manifest.Object{old}, h.objs...)}
	h.smoke.pass = []bool{false}
	h.smoke.msg = "answer mentions old-secret-value-1"
	out := mustDeploy(t, h, 3)
	data, err := os.ReadFile(filepath.Join(out.EvidenceDir, evidence.EvidenceFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "old-secret-value-1") {
		t.Error("evidence.json holds the previous revision's Secret value")
	}
	for _, e := range h.events {
		if strings.Contains(e.Message, "old-secret-value-1") {
			t.Errorf("event shows the previous revision's Secret value: %s", e.Message)
		}
	}
}

// What the run returns and stores goes through the one Redactor: the
// outcome's trigger and summary (printed as the final line and in -o json)
// and every revision message saved to the cluster mask a value of the
// previous revision's Secret and a credential of its release file, even
// when a stage quotes them in an error.
func TestDeployMasksTheOutcomeAndStoredMessages(t *testing.T) {
	h := newHarness(t.TempDir())
	old := obj("Secret", "old-token", map[string]any{"stringData": map[string]any{"token": "Pl4ntOldSecretValue"}})
	h.hist.revs[1] = record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeDeployed,
		Objects:     append([]manifest.Object{old}, h.objs...),
		ReleaseFile: []byte("spec:\n  verify:\n    metrics: {prometheus: {address: 'http://kship:Pl4ntOldPromPassword@prom:9090'}}\n")}
	h.smoke.pass = []bool{false}
	h.smoke.msg = "answer mentions Pl4ntOldSecretValue and Pl4ntOldPromPassword"
	out := mustDeploy(t, h, 3)
	for _, leak := range []string{"Pl4ntOldSecretValue", "Pl4ntOldPromPassword"} {
		if strings.Contains(out.Trigger+out.Summary, leak) {
			t.Errorf("outcome shows %s: trigger %q, summary %q", leak, out.Trigger, out.Summary)
		}
		for n, rev := range h.hist.revs {
			if strings.Contains(rev.Message, leak) {
				t.Errorf("revision %d is stored with %s in its message: %q", n, leak, rev.Message)
			}
		}
	}
	if !strings.Contains(out.Trigger, evidence.Mask) {
		t.Errorf("trigger %q does not say what was masked", out.Trigger)
	}
}

// A final save that fails makes the run Incomplete (exit 4) in what it
// returns, prints and writes to evidence.json alike: never "verified
// (exit 0)" printed with exit 4 returned and a pending revision stored.
func TestUnrecordedResultIsIncompleteEverywhere(t *testing.T) {
	h := newHarness(t.TempDir())
	h.hist.failSave = func(r *record.Revision) error {
		if r.Outcome == record.OutcomeDeployed {
			return errors.New("connection refused")
		}
		return nil
	}
	out := mustDeploy(t, h, 4)
	if out.Verdict != event.Incomplete || !strings.Contains(out.Summary, "could NOT be recorded") || !strings.Contains(out.Summary, "verified") {
		t.Errorf("outcome %s: %s", out.Verdict, out.Summary)
	}
	b, err := evidence.Read(out.EvidenceDir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Outcome.Verdict != out.Verdict || b.Outcome.ExitCode != out.ExitCode || b.Outcome.Summary != out.Summary {
		t.Errorf("evidence.json says %s (exit %d) %q; the run returned %s (exit %d) %q",
			b.Outcome.Verdict, b.Outcome.ExitCode, b.Outcome.Summary, out.Verdict, out.ExitCode, out.Summary)
	}
}
