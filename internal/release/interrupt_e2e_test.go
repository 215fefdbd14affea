package release_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
)

// kshipCmd runs the binary to completion and returns its output and exit code.
func (r *e2eRelease) kshipCmd(bin string, args ...string) (string, int) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", r.env.Kubeconfig}, args...)...)
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

// startAndKill starts `kship deploy` of file, waits until it is mid-rollout
// (revision pending, lock held, Deployment created) and kills it with
// SIGKILL.
func (r *e2eRelease) startAndKill(bin, file string) {
	r.t.Helper()
	cmd := exec.Command(bin, "--kubeconfig", r.env.Kubeconfig, "deploy", "-f", file, "--evidence-dir", r.evidence)
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	waitFor(r.t, 90*time.Second, func() bool {
		st, err := release.Status(context.Background(), r.clients, r.ns, "app", time.Now())
		return err == nil && st.State == "deploying" && r.image() != ""
	})
	if err := cmd.Process.Kill(); err != nil {
		r.t.Fatal(err)
	}
	_ = cmd.Wait()
}

// A deploy killed with SIGKILL mid-rollout leaves a state that status
// reports truthfully, and both kship rollback and a new kship deploy recover
// from it without hand cleanup.
func TestE2ESIGKILLRecovery(t *testing.T) {
	r := newE2ERelease(t, "kship-kill-")
	bin := testenv.BuildKship(t, r.env.RepoRoot)
	stuck := r.write(e2eApp{version: "v1", behavior: "unready", secret: "kill-secret-1111"})

	r.startAndKill(bin, stuck)
	out, code := r.kshipCmd(bin, "status", "app", "-n", r.ns)
	if code != 0 || !strings.Contains(out, "interrupted: revision 1 was being deployed by") || !strings.Contains(out, "no longer exists") {
		t.Fatalf("status after SIGKILL (exit %d):\n%s", code, out)
	}
	out, code = r.kshipCmd(bin, "rollback", "app", "-n", r.ns, "--evidence-dir", r.evidence)
	if code != 0 || r.image() != "" {
		t.Fatalf("rollback after SIGKILL: exit %d, image %q:\n%s", code, r.image(), out)
	}

	r.startAndKill(bin, stuck)
	good := r.write(e2eApp{version: "v2", secret: "kill-secret-2222"})
	out, code = r.kshipCmd(bin, "deploy", "-f", good, "--evidence-dir", r.evidence)
	if code != 0 || !strings.Contains(out, "no longer exists on this host: taking it over") {
		t.Fatalf("deploy after SIGKILL: exit %d:\n%s", code, out)
	}
	hist, err := release.History(context.Background(), r.clients, r.ns, "app")
	if err != nil {
		t.Fatal(err)
	}
	if hist[0].Outcome != record.OutcomeDeployed || hist[1].Outcome != record.OutcomeInterrupted {
		t.Fatalf("history after recovery: %+v", hist[:2])
	}
	out, _ = r.kshipCmd(bin, "status", "app", "-n", r.ns)
	if !strings.Contains(out, "deployed: revision") || !strings.Contains(out, "lock:              free") {
		t.Errorf("status after recovery:\n%s", out)
	}
	r.noSecret("kill-secret-1111", "kill-secret-2222")
	if _, err := os.Stat(r.evidence); err != nil {
		t.Fatal(err)
	}
}
