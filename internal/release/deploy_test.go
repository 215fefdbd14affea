package release

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/gate"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/validate"
	"github.com/kship/kship/internal/wait"
)

func mustDeploy(t *testing.T, h *harness, wantExit int) *event.Outcome {
	t.Helper()
	out, err := h.deploy()
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if out.ExitCode != wantExit {
		t.Fatalf("exit %d (%s: %s), want %d; calls:\n%s", out.ExitCode, out.Verdict, out.Summary, wantExit, strings.Join(h.s.list(), "\n"))
	}
	return out
}

// indexOf returns the position of the first call starting with prefix.
func indexOf(t *testing.T, calls []string, prefix string) int {
	t.Helper()
	for i, c := range calls {
		if strings.HasPrefix(c, prefix) {
			return i
		}
	}
	t.Fatalf("no call %q in:\n%s", prefix, strings.Join(calls, "\n"))
	return -1
}

func noCall(t *testing.T, calls []string, prefix string) {
	t.Helper()
	for _, c := range calls {
		if strings.HasPrefix(c, prefix) {
			t.Fatalf("unexpected call %q in:\n%s", c, strings.Join(calls, "\n"))
		}
	}
}

func TestDeployVerifiedRunsStagesInOrder(t *testing.T) {
	h := newHarness(t.TempDir())
	h.hist.revs[1] = record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeDeployed,
		Objects: []manifest.Object{obj("ConfigMap", "cfg", nil), obj("Service", "old", nil)}}
	out := mustDeploy(t, h, 0)
	calls := h.s.list()
	order := []string{"lock", "prepare previous=2", "save 2 pending", "baseline", "apply ConfigMap/cfg,Deployment/web",
		"apply-prune Service/old", "wait", "smoke health true", "gate errors pass", "save 1 superseded", "save 2 deployed"}
	last := -1
	for _, step := range order {
		i := indexOf(t, calls, step)
		if i <= last {
			t.Fatalf("%q out of order in:\n%s", step, strings.Join(calls, "\n"))
		}
		last = i
	}
	if out.Revision != 2 || out.Verdict != event.Verified {
		t.Fatalf("outcome %+v", out)
	}
	if _, err := os.Stat(filepath.Join(out.EvidenceDir, evidence.EvidenceFile)); err != nil {
		t.Fatalf("no evidence.json: %v", err)
	}
}

func TestDeployRefusedWritesNothing(t *testing.T) {
	h := newHarness(t.TempDir())
	h.report = &validate.Report{Checks: []validate.Check{{ID: "schema", Status: validate.Fail, Message: "unknown field"}}}
	out := mustDeploy(t, h, 2)
	calls := h.s.list()
	noCall(t, calls, "save")
	noCall(t, calls, "apply")
	if !strings.Contains(out.Summary, "nothing") {
		t.Fatalf("summary %q", out.Summary)
	}
}

func TestDeployRefusesUnsupportedStrategy(t *testing.T) {
	h := newHarness(t.TempDir())
	h.rel.Spec.Strategy.Type = config.StrategyCanary
	out := mustDeploy(t, h, 2)
	noCall(t, h.s.list(), "apply")
	if !strings.Contains(out.Summary, "strategy Canary is not supported yet") {
		t.Fatalf("summary %q", out.Summary)
	}
}

func TestDeployLockedByLiveHolderIsRefused(t *testing.T) {
	h := newHarness(t.TempDir())
	h.hist.locked = &record.LockedError{Namespace: "shop", Release: "web", Holder: "ci@runner-7 pid 42", Since: time.Now()}
	out := mustDeploy(t, h, 2)
	noCall(t, h.s.list(), "prepare")
	if !strings.Contains(out.Summary, "ci@runner-7 pid 42") {
		t.Fatalf("summary does not name the holder: %q", out.Summary)
	}
}

func TestDeployTakesOverLockOfDeadLocalProcess(t *testing.T) {
	h := newHarness(t.TempDir())
	// pid 2^22+1 is above Linux's pid_max: no such process, in this boot
	// and PID namespace.
	dead := strings.Replace(record.Identity(), fmt.Sprintf(" pid %d ", os.Getpid()), " pid 4194305 ", 1)
	h.hist.locked = &record.LockedError{Holder: dead, Since: time.Now()}
	h.hist.revs[1] = record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomePending}
	mustDeploy(t, h, 0)
	calls := h.s.list()
	indexOf(t, calls, "lock refused")
	if indexOf(t, calls, "save 1 interrupted") > indexOf(t, calls, "save 2 pending") {
		t.Fatalf("pending revision not marked interrupted first:\n%s", strings.Join(calls, "\n"))
	}
}

// The same dead pid in another PID namespace (a container sharing the
// hostname) proves nothing: the lock is refused until its lease lapses.
func TestDeployRefusesLockOfAnotherPIDNamespace(t *testing.T) {
	h := newHarness(t.TempDir())
	other := regexp.MustCompile(`pid ns \d+`).ReplaceAllString(
		strings.Replace(record.Identity(), fmt.Sprintf(" pid %d ", os.Getpid()), " pid 4194305 ", 1), "pid ns 4026530000")
	h.hist.locked = &record.LockedError{Holder: other, Since: time.Now()}
	out := mustDeploy(t, h, 2)
	noCall(t, h.s.list(), "prepare")
	if !strings.Contains(out.Summary, "is locked by") {
		t.Fatalf("summary %q", out.Summary)
	}
}

func TestDeployWithoutChecksIsUnverified(t *testing.T) {
	h := newHarness(t.TempDir())
	h.rel.Spec.Verify = config.Verify{}
	out := mustDeploy(t, h, 5)
	if h.hist.revs[1].Outcome != record.OutcomeDeployed {
		t.Fatalf("revision outcome %q", h.hist.revs[1].Outcome)
	}
	if !strings.Contains(out.Summary, "NOT verified") {
		t.Fatalf("summary %q", out.Summary)
	}
}

func TestDeployInconclusiveGateIsUnverified(t *testing.T) {
	h := newHarness(t.TempDir())
	h.gates.verdicts = []gate.Verdict{gate.Inconclusive}
	mustDeploy(t, h, 5)
}

func TestDeployTriggersRollBackToPrevious(t *testing.T) {
	failure := &wait.FailureError{Failure: wait.Failure{Object: manifest.Ref{Kind: "Deployment", Namespace: "shop", Name: "web"},
		Pod: "web-1", Container: "app", Reason: "CrashLoopBackOff", Message: "back-off 10s"}}
	cases := map[string]func(h *harness){
		"detector in rollout":  func(h *harness) { h.waiter.fails = []error{failure} },
		"smoke failure":        func(h *harness) { h.smoke.pass = []bool{false} },
		"gate fails in verify": func(h *harness) { h.gates.verdicts = []gate.Verdict{gate.Fail} },
		"gate fails in stabilize": func(h *harness) {
			h.rel.Spec.Stabilize = config.Stabilize{Window: config.Duration{Duration: 50 * time.Millisecond}, Interval: config.Duration{Duration: 10 * time.Millisecond}}
			h.gates.verdicts = []gate.Verdict{gate.Pass, gate.Fail}
		},
		"detector in stabilize": func(h *harness) {
			h.rel.Spec.Stabilize = config.Stabilize{Window: config.Duration{Duration: time.Second}, Interval: config.Duration{Duration: time.Second}}
			h.waiter.watch = []wait.Failure{failure.Failure}
		},
		"apply failure": func(h *harness) { h.apply.err = errors.New("Deployment shop/web: apply failed: admission denied") },
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t.TempDir())
			h.hist.revs[1] = record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeDeployed,
				Objects: []manifest.Object{obj("ConfigMap", "cfg", nil), obj("Deployment", "web", nil), obj("Service", "pruned", nil)}}
			h.objs = append(h.objs, obj("Secret", "added", nil))
			setup(h)
			out := mustDeploy(t, h, 3)
			calls := h.s.list()
			re := indexOf(t, calls, "reapply ConfigMap/cfg,Deployment/web,Service/pruned")
			if del := indexOf(t, calls, "reapply-prune Secret/added"); del < re {
				t.Fatalf("added object deleted before the re-apply:\n%s", strings.Join(calls, "\n"))
			}
			if h.hist.revs[2].Outcome != record.OutcomeRolledBack || h.hist.revs[3].Outcome != record.OutcomeDeployed || h.hist.revs[3].RollbackOf != 2 {
				t.Fatalf("revisions: 2 %q, 3 %q rollbackOf %d", h.hist.revs[2].Outcome, h.hist.revs[3].Outcome, h.hist.revs[3].RollbackOf)
			}
			if out.Trigger == "" || out.RestoredRevision != 1 || out.RollbackRevision != 3 {
				t.Fatalf("outcome %+v", out)
			}
		})
	}
}

func TestFirstReleaseRollbackDeletesWhatItCreated(t *testing.T) {
	h := newHarness(t.TempDir())
	h.smoke.pass = []bool{false}
	out := mustDeploy(t, h, 3)
	indexOf(t, h.s.list(), "reapply-prune Deployment/web,ConfigMap/cfg")
	if h.hist.revs[1].Outcome != record.OutcomeRolledBack || len(h.hist.revs) != 1 {
		t.Fatalf("revisions %+v", h.hist.revs)
	}
	if !strings.Contains(out.Summary, "first revision") {
		t.Fatalf("summary %q", out.Summary)
	}
}

func TestManualMethodDoesNotRollBack(t *testing.T) {
	h := newHarness(t.TempDir())
	h.rel.Spec.Rollback.Method = config.RollbackManual
	h.smoke.pass = []bool{false}
	out := mustDeploy(t, h, 4)
	noCall(t, h.s.list(), "reapply")
	if h.hist.revs[1].Outcome != record.OutcomeFailed || !strings.Contains(out.ManualSteps, "kship rollback web -n shop") {
		t.Fatalf("outcome %+v revision %q", out, h.hist.revs[1].Outcome)
	}
}

func TestFailedRollbackExits4(t *testing.T) {
	h := newHarness(t.TempDir())
	h.hist.revs[1] = record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeDeployed, Objects: h.objs}
	h.smoke.pass = []bool{false, false} // the release's smoke check, then the restored revision's
	out := mustDeploy(t, h, 4)
	if h.hist.revs[2].Outcome != record.OutcomeFailed || out.ManualSteps == "" {
		t.Fatalf("revision %q, outcome %+v", h.hist.revs[2].Outcome, out)
	}
	data, err := os.ReadFile(filepath.Join(out.EvidenceDir, evidence.RollbackFile))
	if err != nil || !strings.Contains(string(data), "kubectl apply --server-side") {
		t.Fatalf("rollback.md: %v\n%s", err, data)
	}
}
