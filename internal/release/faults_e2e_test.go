package release_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kship/kship/internal/evidence"
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
	bin := buildKship(t, r.env.RepoRoot)
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
	if b.Outcome.Verdict != release.Verified || b.Outcome.ExitCode != 0 {
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
