// Package testenv gives kship's end-to-end tests the running local
// Kubernetes environment (hack/localcluster): a real API server,
// controller-manager and scheduler, KWOK-simulated nodes and pods, the
// loopback ingress, a real Prometheus, Flux's source-controller and
// kustomize-controller, and a git server. Get starts the environment with
// `make cluster-up` when it is not running; it never skips a test except
// under `go test -short`.
package testenv

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Env is the running local environment.
type Env struct {
	// Kubeconfig is the absolute path of the admin kubeconfig.
	Kubeconfig string
	// RESTConfig is the client configuration built from Kubeconfig.
	RESTConfig *rest.Config
	// Ingress is the host:port of the loopback ingress; route with Host: <service>.<namespace>.
	Ingress string
	// Prometheus is the base URL of the Prometheus server, e.g. http://127.0.0.1:9090.
	Prometheus string
	// Git is the base URL of the git server, e.g. http://127.0.0.1:PORT:
	// Git+"/team/app.git" is a repository (created by its first push) that
	// Flux's source-controller can clone.
	Git string
	// RepoRoot is the absolute path of the kship repository.
	RepoRoot string
}

var (
	once    sync.Once
	shared  *Env
	initErr error
)

// Get returns the running environment, starting it once per `go test`
// process (via `make cluster-up` in the repo root, serialised across parallel
// test binaries with a file lock) if .localcluster/env is missing or the API
// server does not answer. It calls t.Fatal (never t.Skip) when the
// environment cannot be had. Tests using it are e2e tests; `go test -short`
// skips them (that is the only skip).
func Get(t testing.TB) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e test: skipped with -short")
	}
	once.Do(func() { shared, initErr = setup(t) })
	if initErr != nil {
		t.Fatalf("local environment unavailable: %v", initErr)
	}
	return shared
}

// setup finds the repository, starts the environment if needed and loads it.
func setup(t testing.TB) (*Env, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Minute)
	defer cancel()
	if env, err := load(ctx, root); err == nil {
		return env, nil
	}
	if err := startLocked(ctx, t, root); err != nil {
		return nil, err
	}
	return load(ctx, root)
}

// load reads .localcluster/env and checks that the API server answers.
func load(ctx context.Context, root string) (*Env, error) {
	vars, err := readEnvFile(envFilePath(root))
	if err != nil {
		return nil, err
	}
	env := &Env{
		Kubeconfig: vars["KUBECONFIG"],
		Ingress:    vars["KSHIP_INGRESS"],
		Prometheus: vars["KSHIP_PROMETHEUS"],
		Git:        vars["KSHIP_GIT"],
		RepoRoot:   root,
	}
	if env.Kubeconfig == "" {
		return nil, fmt.Errorf("%s: KUBECONFIG not set", envFilePath(root))
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", env.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig %s: %w", env.Kubeconfig, err)
	}
	env.RESTConfig = cfg
	if err := apiReady(ctx, cfg); err != nil {
		return nil, err
	}
	return env, nil
}

// apiReady asks the API server's /readyz once, with a short timeout.
func apiReady(ctx context.Context, cfg *rest.Config) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("build client for %s: %w", cfg.Host, err)
	}
	var code int
	res := cs.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).StatusCode(&code)
	if err := res.Error(); err != nil {
		return fmt.Errorf("api server %s not ready: %w", cfg.Host, err)
	}
	if code != http.StatusOK {
		return fmt.Errorf("api server %s not ready: /readyz answered %d", cfg.Host, code)
	}
	return nil
}

// Clientset returns a typed client for env.
func (e *Env) Clientset(t testing.TB) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(e.RESTConfig)
	if err != nil {
		t.Fatalf("build clientset for %s: %v", e.RESTConfig.Host, err)
	}
	return cs
}
