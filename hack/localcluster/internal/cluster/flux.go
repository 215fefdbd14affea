package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/kship/kship/hack/localcluster/internal/proc"
)

// Flux's controllers are built from their Go modules by hack/flux (make
// flux) into the bin folder, with their CRDs copied from the module cache
// into bin/flux-crds.
const (
	sourceBinary    = "source-controller"
	kustomizeBinary = "kustomize-controller"
	fluxCRDDir      = "flux-crds"
)

// gitSpec runs this binary's git server: git's smart HTTP protocol (by
// `git http-backend`) for the bare repositories under the state folder's
// git/, each created on its first push.
func gitSpec(e *env) (proc.Spec, error) {
	self, err := os.Executable()
	if err != nil {
		return proc.Spec{}, fmt.Errorf("find localcluster executable: %w", err)
	}
	git, err := exec.LookPath("git")
	if err != nil {
		return proc.Spec{}, fmt.Errorf("the git server needs git (apt-get install git): %w", err)
	}
	return proc.Spec{Name: nameGit, Path: self, Args: []string{
		"git-server", "--root=" + e.l.path("git"), "--listen=" + loopback(e.st.Ports.Git), "--git=" + git,
	}}, nil
}

// kubeconfigEnv hands the admin kubeconfig to a controller-runtime
// controller: Flux's controllers parse their flags with pflag, which does
// not see controller-runtime's --kubeconfig, so KUBECONFIG it is.
func (e *env) kubeconfigEnv() []string {
	return []string{"KUBECONFIG=" + e.l.kubeconfig(), "HOME=" + e.l.path("flux", "home")}
}

// fluxFlags are the flags both controllers share. Every listener is set to
// loopback: their defaults (:8080 metrics, :9440 health, :9090 storage)
// bind every interface.
func fluxFlags(metrics, health int) []string {
	return []string{
		"--metrics-addr=" + loopback(metrics),
		"--health-addr=" + loopback(health),
		"--events-addr=", // no notification-controller: events go to the API server only
		"--enable-leader-election=false",
		"--watch-all-namespaces=true",
		"--log-level=info",
	}
}

// sourceSpec runs source-controller with its artifact storage in the state
// folder, served and advertised on loopback (kustomize-controller fetches
// the artifacts from there).
func sourceSpec(e *env) (proc.Spec, error) {
	storage := e.l.path("flux", "source-storage")
	for _, dir := range []string{storage, e.l.path("flux", "home")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return proc.Spec{}, fmt.Errorf("create %s: %w", dir, err)
		}
	}
	p := e.st.Ports
	args := append(fluxFlags(p.SourceMetrics, p.SourceHealth),
		"--storage-path="+storage,
		"--storage-addr="+loopback(p.SourceStorage),
		"--storage-adv-addr="+loopback(p.SourceStorage),
	)
	return proc.Spec{Name: nameSource, Path: filepath.Join(e.opts.BinDir, sourceBinary), Env: e.kubeconfigEnv(), Args: args}, nil
}

// kustomizeSpec runs kustomize-controller. Remote kustomize bases are off:
// there is no network to fetch them from.
func kustomizeSpec(e *env) (proc.Spec, error) {
	if err := os.MkdirAll(e.l.path("flux", "home"), 0o755); err != nil {
		return proc.Spec{}, fmt.Errorf("create flux home: %w", err)
	}
	p := e.st.Ports
	args := append(fluxFlags(p.KustomizeMetrics, p.KustomizeHealth), "--no-remote-bases=true")
	return proc.Spec{Name: nameKustomize, Path: filepath.Join(e.opts.BinDir, kustomizeBinary), Env: e.kubeconfigEnv(), Args: args}, nil
}

func gitReady(ctx context.Context, e *env) error {
	return probe(ctx, "http://"+loopback(e.st.Ports.Git)+"/-/ready")
}

// httpReady probes http://127.0.0.1:<port><path>.
func httpReady(port func(Ports) int, path string) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		return probe(ctx, "http://"+loopback(port(e.st.Ports))+path)
	}
}

// applyFluxCRDs applies the CRDs in bin/flux-crds and waits until they are
// established, so the controllers find their kinds when they start.
func applyFluxCRDs(ctx context.Context, e *env) error {
	files, err := filepath.Glob(filepath.Join(e.opts.BinDir, fluxCRDDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no Flux CRDs in %s (run `make flux`)", filepath.Join(e.opts.BinDir, fluxCRDDir))
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return applyCRDs(ctx, e, files)
}
