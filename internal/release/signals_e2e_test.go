package release_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
)

// Interrupts per stage, through the real binary and real signals. Each
// test makes the stage it interrupts last (a 10 m stabilize window, pods
// that never become Ready, a gate over a 15 s range in the rollback's
// verification) and waits for it in the run's own event stream, so no
// test races a short state.

// SIGTERM mid-Stabilize: the new revision passed Verify and is left
// running, recorded deployed and NOT verified (exit 5), the decision filed
// under stabilize; what is printed, the exit code, evidence.json and the
// stored revision agree (before: "rollback-failed (exit 4)" under
// "rollout", though nothing was rolled back).
func TestE2ESIGTERMMidStabilize(t *testing.T) {
	r := newE2ERelease(t, "kship-termstab-")
	bin := testenv.BuildKship(t, r.env.RepoRoot)
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "termstab-secret-1111"})), 0)
	r.stabilize = "{window: 10m, interval: 5s}"
	cmd, out := r.startKship(bin, "deploy", "-f", r.write(e2eApp{version: "v2", secret: "termstab-secret-2222"}), "--evidence-dir", r.evidence)
	waitFor(t, 3*time.Minute, func() bool { return strings.Contains(out.String(), "watch for 10m0s") })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := exitOf(t, cmd, 2*time.Minute, out)
	text := out.String()
	r.outputs.WriteString(text)
	if code != 5 || !strings.Contains(text, "deployed-unverified (exit 5)") || strings.Contains(text, "rollback-failed") {
		t.Fatalf("SIGTERM mid-stabilize: exit %d:\n%s", code, text)
	}
	if !regexp.MustCompile(`stabilize +→ SIGTERM received during stabilize: leaving the new revision running`).MatchString(text) ||
		!regexp.MustCompile(`stabilize +→ verdict: deployed-unverified`).MatchString(text) {
		t.Errorf("the interrupt and the verdict are not said under stabilize:\n%s", text)
	}
	b := r.bundleOf(2)
	if b.Outcome.Verdict != event.Unverified || b.Outcome.ExitCode != 5 || !strings.Contains(b.Outcome.Summary, "interrupted by SIGTERM during stabilize") {
		t.Errorf("evidence.json: %s (exit %d): %s", b.Outcome.Verdict, b.Outcome.ExitCode, b.Outcome.Summary)
	}
	hist, err := release.History(context.Background(), r.clients, r.ns, "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Outcome != record.OutcomeDeployed || !hist[0].Unverified || hist[1].Outcome != record.OutcomeSuperseded {
		t.Fatalf("history: %+v", hist)
	}
	st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Deployed == nil || st.Deployed.Number != 2 || !st.Deployed.Unverified || st.Lock != nil || r.image() != "app:v2" {
		t.Errorf("status %s: %s; deployed %+v; image %s", st.State, st.Message, st.Deployed, r.image())
	}
	r.noSecret("termstab-secret-1111", "termstab-secret-2222")
}

// SIGTERM mid-Rollout (pods that never become Ready, a 3 m timeout): the
// interrupt is the rollback trigger, the previous revision is restored and
// verified (exit 3), and every record says the interrupt was the trigger
// (before: exit 4, nothing rolled back, revision 2's pods left running).
func TestE2ESIGTERMMidRollout(t *testing.T) {
	r := newE2ERelease(t, "kship-termroll-")
	bin := testenv.BuildKship(t, r.env.RepoRoot)
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "termroll-secret-1111"})), 0)
	cmd, out := r.startKship(bin, "deploy", "-f", r.write(e2eApp{version: "v2", behavior: "unready", secret: "termroll-secret-2222"}), "--evidence-dir", r.evidence)
	waitFor(t, 3*time.Minute, func() bool {
		return strings.Contains(out.String(), "rollout   ▶ roll out revision 2") && r.image() == "app:v2"
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := exitOf(t, cmd, 3*time.Minute, out)
	text := out.String()
	r.outputs.WriteString(text)
	if code != 3 || !strings.Contains(text, "rolled-back (exit 3)") || !strings.Contains(text, "trigger:   interrupted by SIGTERM during rollout") {
		t.Fatalf("SIGTERM mid-rollout: exit %d:\n%s", code, text)
	}
	if !regexp.MustCompile(`rollout +→ SIGTERM received during rollout: rolling back`).MatchString(text) {
		t.Errorf("the interrupt is not said under rollout:\n%s", text)
	}
	b := r.bundleOf(2)
	if b.Outcome.Verdict != event.RolledBack || b.Outcome.ExitCode != 3 || !strings.Contains(b.Outcome.Trigger, "interrupted by SIGTERM during rollout") ||
		!strings.Contains(b.Outcome.Summary, "revision 2 was interrupted and was rolled back to revision 1") {
		t.Errorf("evidence.json: %s (exit %d): %s; trigger %s", b.Outcome.Verdict, b.Outcome.ExitCode, b.Outcome.Summary, b.Outcome.Trigger)
	}
	hist, err := release.History(context.Background(), r.clients, r.ns, "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Outcome != record.OutcomeDeployed || hist[0].RollbackOf != 2 ||
		hist[1].Outcome != record.OutcomeRolledBack || !strings.Contains(hist[1].Message, "was interrupted and rolled back to revision 1") {
		t.Fatalf("history: %+v", hist)
	}
	if img := r.image(); img != "app:v1" {
		t.Errorf("the app runs %s after the rollback, want app:v1", img)
	}
	r.noSecret("termroll-secret-1111", "termroll-secret-2222")
}

// A second SIGTERM during the rollback the first one triggered stops it:
// the rollback revision is recorded interrupted, the run exits 4, and
// kship status names what runs (the restored revision's objects applied
// and ready, their verification not finished). The restored revision's
// gate has a 15 s range, so the rollback's verification waits at least
// that long after the line the test waits for (before: the first SIGTERM
// ended the run without any rollback, so there was none to stop).
func TestE2ESecondSIGTERMStopsRollback(t *testing.T) {
	r := newE2ERelease(t, "kship-termrb-")
	bin := testenv.BuildKship(t, r.env.RepoRoot)
	r.gates = fmt.Sprintf(`
    metrics:
      prometheus: {address: %q}
      gates:
        - name: errors
          query: (sum(rate(http_requests_total{namespace=%q,code=~"5.."}[15s])) or vector(0))
          max: 1000`, r.env.Prometheus, r.ns)
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "termrb-secret-1111"})), 0)
	cmd, out := r.startKship(bin, "deploy", "-f", r.write(e2eApp{version: "v2", behavior: "unready", secret: "termrb-secret-2222"}), "--evidence-dir", r.evidence)
	waitFor(t, 3*time.Minute, func() bool {
		return strings.Contains(out.String(), "rollout   ▶ roll out revision 2") && r.image() == "app:v2"
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Minute, func() bool { return strings.Contains(out.String(), "rollback verification: each gate judged") })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := exitOf(t, cmd, 2*time.Minute, out)
	text := out.String()
	r.outputs.WriteString(text)
	if code != 4 || !strings.Contains(text, "rollback-failed (exit 4)") || !strings.Contains(text, "STOPPED (stopped by a second SIGTERM during rollback)") {
		t.Fatalf("second SIGTERM mid-rollback: exit %d:\n%s", code, text)
	}
	hist, err := release.History(context.Background(), r.clients, r.ns, "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Outcome != record.OutcomeInterrupted || hist[0].RollbackOf != 2 ||
		!strings.Contains(hist[0].Message, "stopped by a second SIGTERM") || !strings.Contains(hist[0].Message, "revision 1's objects were applied and ready") ||
		hist[1].Outcome != record.OutcomeFailed {
		t.Fatalf("history: %+v", hist)
	}
	status, code := r.kshipCmd(bin, "status", "app", "-n", r.ns)
	if code != 0 || !strings.Contains(status, "interrupted: revision 3") || !strings.Contains(status, "stopped by a second SIGTERM") ||
		strings.Contains(status, "its run died") {
		t.Errorf("status after the stopped rollback (exit %d):\n%s", code, status)
	}
	st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Deployed == nil || st.Deployed.Number != 1 || st.Lock != nil || r.image() != "app:v1" {
		t.Errorf("status %s: %s; deployed %+v; image %s", st.State, st.Message, st.Deployed, r.image())
	}
	b := r.bundleOf(2)
	if b.Outcome.Verdict != event.RollbackFailed || b.Outcome.ExitCode != 4 || !strings.Contains(b.Outcome.Summary, "rollback was STOPPED") {
		t.Errorf("evidence.json: %s (exit %d): %s", b.Outcome.Verdict, b.Outcome.ExitCode, b.Outcome.Summary)
	}
	r.noSecret("termrb-secret-1111", "termrb-secret-2222")
}
