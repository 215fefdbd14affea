package release_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
)

// Fault injection against the real environment. The API server is cut
// from kship's side only (testenv.APIProxy: every connection reset, new
// ones refused, then the same port again), never stopped: it is shared.

// kshipVia runs the binary with kubeconfig to completion and returns its
// output and exit code.
func (r *e2eRelease) kshipVia(bin, kubeconfig string, args ...string) (string, int) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	r.outputs.Write(out)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		r.t.Fatalf("kship %v: %v", args, err)
	}
	return string(out), 0
}

// bundleOf reads the evidence bundle of revision n.
func (r *e2eRelease) bundleOf(n int) *evidence.Bundle {
	r.t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(r.evidence, "app", strconv.Itoa(n)+"-*"))
	if len(dirs) != 1 {
		r.t.Fatalf("evidence folders of revision %d: %v", n, dirs)
	}
	b, err := evidence.Read(dirs[0])
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// outageAtSmoke is a smoke target that answers 200 and, the first time it
// is asked while revision n is being deployed (Verify; Prepare probes it
// too, before anything is written), cuts the API proxy for d: the outage
// starts as verification ends, so the run's last writes meet it.
func (r *e2eRelease) outageAtSmoke(p *testenv.APIProxy, n int, d time.Duration) string {
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		st, err := release.Status(req.Context(), r.clients, r.ns, "app", time.Now())
		if err == nil && st.State == "deploying" && st.Latest.Number == n {
			once.Do(func() { p.DownFor(d) })
		}
		w.WriteHeader(http.StatusOK)
	}))
	r.t.Cleanup(srv.Close)
	return srv.URL + "/healthz"
}

// The API server goes away as verification ends and comes back 11 s later:
// the final save is retried and lands, and what is printed, what the
// process exits with, what evidence.json says and what kship status reads
// agree (before: "verified (exit 0)" printed, exit 4 returned, evidence
// saying verified, the revision left pending).
func TestE2EFinalSaveSurvivesAPIOutage(t *testing.T) {
	r := newE2ERelease(t, "kship-save-")
	proxy := r.env.Proxy(t)
	kubeconfig := proxy.Kubeconfig(r.env)
	bin := testenv.BuildKship(t, r.env.RepoRoot)
	out, code := r.kshipVia(bin, kubeconfig, "deploy", "-f", r.write(e2eApp{version: "v1", secret: "save-secret-1111"}), "--evidence-dir", r.evidence)
	if code != 0 {
		t.Fatalf("deploy v1: exit %d:\n%s", code, out)
	}
	r.smokeURL = r.outageAtSmoke(proxy, 2, 11*time.Second)
	start := time.Now()
	out, code = r.kshipVia(bin, kubeconfig, "deploy", "-f", r.write(e2eApp{version: "v2", secret: "save-secret-2222"}), "--evidence-dir", r.evidence)
	took := time.Since(start)
	if code != 0 || !strings.Contains(out, "verified (exit 0)") {
		t.Fatalf("deploy v2 across an 11 s outage: exit %d after %s:\n%s", code, took, out)
	}
	b := r.bundleOf(2)
	if b.Outcome.Verdict != event.Verified || b.Outcome.ExitCode != 0 {
		t.Errorf("evidence.json says %s (exit %d), the run exit 0", b.Outcome.Verdict, b.Outcome.ExitCode)
	}
	retried := false
	for _, e := range b.Events {
		retried = retried || strings.Contains(e.Message, "trying again")
	}
	if !retried || took < 11*time.Second {
		t.Errorf("the outage did not meet a save (retried %v, run took %s)", retried, took)
	}
	st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "deployed" || st.Latest.Number != 2 || st.Deployed.Number != 2 || r.image() != "app:v2" {
		t.Errorf("status after the outage: %s: %s (image %s)", st.State, st.Message, r.image())
	}
	r.noSecret("save-secret-1111", "save-secret-2222")
}

// startKship starts the binary and returns its running command and output.
func (r *e2eRelease) startKship(bin string, args ...string) (*exec.Cmd, *testenv.SyncBuffer) {
	r.t.Helper()
	out := &testenv.SyncBuffer{}
	cmd := exec.Command(bin, append([]string{"--kubeconfig", r.env.Kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, out
}

// exitOf waits for cmd for up to d and returns its exit code.
func exitOf(t *testing.T, cmd *exec.Cmd, d time.Duration, out *testenv.SyncBuffer) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		t.Fatalf("kship still running after %s:\n%s", d, out)
		return -1
	}
}

// A run whose lock another run forces away mid-stabilize stops at once,
// writes nothing more, says whom it lost the lock to and exits 4; the run
// that took the lock says the holder was live, marks its revision
// interrupted and deploys; status names that revision and the app runs it
// (before: the loser carried on and printed "verified (exit 0)" for a
// revision no longer running).
func TestE2ELockForcedAwayMidStabilize(t *testing.T) {
	r := newE2ERelease(t, "kship-steal-")
	bin := testenv.BuildKship(t, r.env.RepoRoot)
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "steal-secret-1111"})), 0)
	r.stabilize = "{window: 90s, interval: 5s}"
	loser, out := r.startKship(bin, "deploy", "-f", r.write(e2eApp{version: "v2", secret: "steal-secret-2222"}), "--evidence-dir", r.evidence)
	waitFor(t, 2*time.Minute, func() bool { return strings.Contains(out.String(), "watch for 1m30s") })
	r.stabilize = ""
	forced := time.Now()
	winner := r.deploy(r.write(e2eApp{version: "v3", secret: "steal-secret-3333"}), func(o *release.DeployOptions) { o.ForceUnlock = true })
	code := exitOf(t, loser, time.Minute, out)
	r.outputs.WriteString(out.String())
	r.expect(winner, 0)
	if code != 4 || !strings.Contains(out.String(), "lost the lock") || !strings.Contains(out.String(), release.Holder()) {
		t.Fatalf("the run that lost its lock: exit %d:\n%s", code, out)
	}
	if took := time.Since(forced); took > 75*time.Second {
		t.Errorf("the loser stopped %s after the lock was forced away", took)
	}
	hist, err := release.History(context.Background(), r.clients, r.ns, "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Number != 3 || hist[0].Outcome != record.OutcomeDeployed ||
		hist[1].Outcome != record.OutcomeInterrupted || !strings.Contains(hist[1].Message, "still held the lock") {
		t.Fatalf("history after the take-over: %+v", hist)
	}
	st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "deployed" || st.Deployed.Number != 3 || r.image() != "app:v3" {
		t.Errorf("status %s: %s; image %s", st.State, st.Message, r.image())
	}
	b := r.bundleOf(2)
	if b.Outcome.Verdict != event.Incomplete || b.Outcome.ExitCode != 4 || !strings.Contains(b.Outcome.Summary, "lost the lock") {
		t.Errorf("the loser's evidence.json: %s (exit %d): %s", b.Outcome.Verdict, b.Outcome.ExitCode, b.Outcome.Summary)
	}
	r.noSecret("steal-secret-1111", "steal-secret-2222", "steal-secret-3333")
}

// SIGKILL in the middle of the automatic rollback: the rollback revision
// was recorded pending before its first write, so status names a rollback
// that was interrupted (not "being deployed") and the last deployed
// revision; the next deploy takes the dead holder's lock at once and the
// app runs the revision status then names.
//
// The restored revision has a gate over a 15 s range, so the rollback's
// verification waits at least that long for data wholly after the restore:
// the "rolling-back" state the test kills in lasts seconds, not the few
// milliseconds of a rollback with nothing to wait for (which a poll under
// load can miss).
func TestE2ESIGKILLMidRollback(t *testing.T) {
	r := newE2ERelease(t, "kship-killrb-")
	bin := testenv.BuildKship(t, r.env.RepoRoot)
	r.gates = fmt.Sprintf(`
    metrics:
      prometheus: {address: %q}
      gates:
        - name: errors
          query: (sum(rate(http_requests_total{namespace=%q,code=~"5.."}[15s])) or vector(0))
          max: 1000`, r.env.Prometheus, r.ns)
	good := r.write(e2eApp{version: "v1", secret: "killrb-secret-1111"})
	r.expect(r.deploy(good), 0)
	r.timeout = "20s"
	bad := r.write(e2eApp{version: "v2", behavior: "crashloop", secret: "killrb-secret-2222"})
	start := time.Now()
	cmd, out := r.startKship(bin, "deploy", "-f", bad, "--evidence-dir", r.evidence)
	waitFor(t, 3*time.Minute, func() bool {
		st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
		return err == nil && st.State == "rolling-back"
	})
	t.Logf("rolling back %s after the bad deploy started: killing it", time.Since(start).Round(time.Millisecond))
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	r.outputs.WriteString(out.String())
	text, code := r.kshipCmd(bin, "status", "app", "-n", r.ns)
	if code != 0 || !strings.Contains(text, "interrupted: revision 3 was being rolled back (revision 3 rolls back revision 2)") || strings.Contains(text, "being deployed") {
		t.Fatalf("status after SIGKILL mid-rollback (exit %d):\n%s", code, text)
	}
	st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Deployed == nil || st.Deployed.Number != 1 {
		t.Fatalf("deployed revision after SIGKILL mid-rollback: %+v", st.Deployed)
	}
	r.timeout = "3m"
	text, code = r.kshipCmd(bin, "deploy", "-f", r.write(e2eApp{version: "v1", secret: "killrb-secret-1111"}), "--evidence-dir", r.evidence)
	if code != 0 || !strings.Contains(text, "no longer exists on this host: taking it over") {
		t.Fatalf("deploy after SIGKILL mid-rollback: exit %d:\n%s", code, text)
	}
	st, err = release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "deployed" || st.Deployed.Number != 4 || r.image() != "app:v1" {
		t.Errorf("status %s: %s; image %s", st.State, st.Message, r.image())
	}
	r.noSecret("killrb-secret-1111", "killrb-secret-2222")
}

// Prometheus goes away mid-verify (the gate's Prometheus is a proxy the
// test cuts while the gate waits for post-rollout data; the shared
// Prometheus is never stopped): the gate cannot be judged, so the release
// is applied but not verified (exit 5), never verified; status names the
// new revision deployed and unverified, and the app runs it.
func TestE2EPrometheusCutMidVerify(t *testing.T) {
	r := newE2ERelease(t, "kship-promcut-")
	prom := r.env.PrometheusProxy(t)
	r.expect(r.deploy(r.write(e2eApp{version: "v1", secret: "promcut-secret-1111"})), 0)
	r.gates = r.errorRateGateAt(prom.URL())
	d := r.startDeploy(r.clients, r.write(e2eApp{version: "v2", secret: "promcut-secret-2222"}))
	// the gate waits at least its 15s range for a window of v2's samples
	d.waitLine(t, 3*time.Minute, "for post-rollout data")
	prom.Down()
	out := d.wait(t)
	r.outputs.WriteString(d.out.String())
	r.expect(out, 5)
	if out.Verdict != event.Unverified || !strings.Contains(out.Summary, "NOT verified") || !strings.Contains(out.Summary, "error-rate") {
		t.Errorf("outcome %s: %s", out.Verdict, out.Summary)
	}
	st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Deployed == nil || st.Deployed.Number != 2 || !st.Deployed.Unverified || len(st.Deployed.Images) != 1 || st.Deployed.Images[0] != "app:v2" {
		t.Errorf("status %s: %s; deployed %+v", st.State, st.Message, st.Deployed)
	}
	if img := r.image(); img != "app:v2" {
		t.Errorf("the app runs %s, status names revision 2 (app:v2)", img)
	}
	b := r.bundleOf(2)
	if b.Outcome.Verdict != event.Unverified || b.Outcome.ExitCode != 5 {
		t.Errorf("evidence.json says %s (exit %d)", b.Outcome.Verdict, b.Outcome.ExitCode)
	}
	r.noSecret("promcut-secret-1111", "promcut-secret-2222")
}
