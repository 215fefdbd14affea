//go:build bench

package helm_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/helm"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
	"github.com/kship/kship/internal/view"
)

// releaseFile is a kship release of the example chart with spec.mechanism
// helm in ns (the e2e tests' settings: a smoke check, the detector's
// restart threshold 2).
func releaseFile(t *testing.T, env *testenv.Env, dir, chartDir, ns, values string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kship.yaml")
	spec := fmt.Sprintf(`apiVersion: kship.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  namespace: %[1]s
  mechanism: helm
  source:
    helm: {chart: %[2]s, values: [%[3]s]}
  verify:
    rolloutTimeout: 5m
    smoke:
      - name: health
        http: {url: "http://%[4]s/healthz", headers: {Host: web.%[1]s}, expectStatus: 200}
        retries: 3
        backoff: 500ms
        timeout: 2s
  stabilize: {window: 0s}
  detector: {restartThreshold: 2}
`, ns, filepath.Join(chartDir, "chart"), filepath.Join(chartDir, values), env.Ingress)
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHelmVsAtomic prints how long the same crash-looping upgrade of the
// example chart (examples/helm v3-crashloop.yaml, after a good v1) takes
// to be detected and rolled back by kship (spec.mechanism helm) and by
// `helm upgrade --install --wait --rollback-on-failure` (Helm 4's
// --atomic, its default --timeout 5m0s unless KSHIP_BENCH_HELM_TIMEOUT
// says otherwise), one after the other on the same cluster in one run.
// Times are from the start of each command.
func TestHelmVsAtomic(t *testing.T) {
	// kship, in its own namespace.
	f := newFixture(t, "helm-bench-kship-")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	deploy := func(values string, watch func(event.Event)) (*event.Outcome, time.Duration) {
		var buf strings.Builder
		v := view.New(&buf, view.JSON, time.Now())
		sink := event.SinkFunc(func(e event.Event) { watch(e); v.Emit(e) })
		start := time.Now()
		out, err := release.Deploy(ctx, release.DeployOptions{ReleaseFile: releaseFile(t, f.env, "", f.dir, f.ns, values), RunOptions: release.RunOptions{Clients: f.clients,
			EvidenceDir: filepath.Join(t.TempDir(), "evidence"), Sink: sink, Catalog: cli.Catalog(), Version: "bench"}})
		if err != nil {
			t.Fatalf("kship deploy %s: %v", values, err)
		}
		return out, time.Since(start)
	}
	if out, _ := deploy("v1.yaml", func(event.Event) {}); out.ExitCode != 0 {
		t.Fatalf("kship v1: exit %d: %s", out.ExitCode, out.Summary)
	}
	start := time.Now()
	var detected, rolledBack time.Duration
	out, took := deploy("v3-crashloop.yaml", func(e event.Event) {
		switch {
		case e.Type == event.TypeFailure && detected == 0:
			detected = e.Time.Sub(start)
		case e.Type == event.TypeHelm && e.Stage == event.StageRollback:
			if op, ok := e.Data.(*helm.Operation); ok && op.Action == helm.ActionRollback {
				rolledBack = op.Finished.Sub(start)
			}
		}
	})
	if out.ExitCode != 3 {
		t.Fatalf("kship v3: exit %d, want 3: %s", out.ExitCode, out.Summary)
	}
	kshipHist := statuses(f.history())

	// helm --wait --rollback-on-failure, in another namespace.
	g := newFixture(t, "helm-bench-atomic-")
	timeout := "5m0s"
	if v := os.Getenv("KSHIP_BENCH_HELM_TIMEOUT"); v != "" {
		timeout = v
	}
	helmUp := func(values string) (string, error, time.Duration) {
		cmd := exec.CommandContext(ctx, helmCLI(t, g.env.RepoRoot), "upgrade", "--install", "web", filepath.Join(g.dir, "chart"), "-f", filepath.Join(g.dir, values),
			"--wait", "--rollback-on-failure", "--timeout", timeout, "--kubeconfig", g.env.Kubeconfig, "-n", g.ns)
		s := time.Now()
		b, err := cmd.CombinedOutput()
		return string(b), err, time.Since(s)
	}
	if o, err, _ := helmUp("v1.yaml"); err != nil {
		t.Fatalf("helm v1: %v\n%s", err, o)
	}
	o, err, helmTook := helmUp("v3-crashloop.yaml")
	if err == nil {
		t.Fatalf("helm v3 (crash loop) succeeded:\n%s", o)
	}
	h := g.history()
	var helmRolledBack time.Duration
	if l := h[len(h)-1]; l.RollbackTo > 0 {
		helmRolledBack = helmTook - time.Since(l.Updated)
	}
	t.Logf("helm's message: %s", strings.TrimSpace(lastLine(o)))
	t.Logf("%-46s %10s %12s %10s  Helm history", "same crash-looping upgrade (v1 → v3)", "detected", "rolled back", "exit")
	t.Logf("%-46s %9.1fs %11.1fs %9.1fs  %s (exit 3: rollback verified)", "kship deploy (spec.mechanism helm)", detected.Seconds(), rolledBack.Seconds(), took.Seconds(), kshipHist)
	t.Logf("%-46s %10s %11.1fs %9.1fs  %s (exit 1)", "helm upgrade --install --wait --rollback-on-failure", "timeout "+timeout, helmRolledBack.Seconds(), helmTook.Seconds(), statuses(h))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
