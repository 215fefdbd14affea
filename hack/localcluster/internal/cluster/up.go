package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/kship/kship/hack/localcluster/internal/pki"
)

// Up starts the environment and waits until it is ready, then writes the
// env file. An environment recorded in the state folder that was not
// brought down is kept: components that died are restarted in place (same
// data, ports and certificates) and the others only checked. Only when
// there is none (never started, or stopped by Down) does it start afresh,
// in a wiped state folder on new ports.
func Up(ctx context.Context, opts Options) error {
	e := newEnv(opts)
	if err := e.checkBinaries(); err != nil {
		return err
	}
	if why := e.loadRunning(); why != "" {
		e.logf("%s; starting a new environment", why)
		stopped, err := Down(ctx, opts)
		if err != nil {
			return fmt.Errorf("clean up before start: %w", err)
		}
		for _, r := range stopped {
			e.logf("stopped leftover %s (pid %d): %s", r.Name, r.PID, r.How)
		}
		return e.fresh(ctx)
	}
	e.logf("environment in %s exists; checking its components", e.opts.StateDir)
	if err := e.run(ctx); err != nil {
		return fmt.Errorf("%w\n(the environment in %s keeps its data and ports; `localcluster down` then `up` starts a new one)", err, e.opts.StateDir)
	}
	return nil
}

func newEnv(opts Options) *env {
	return &env{opts: opts, l: layout{root: opts.StateDir}, pki: pki.FilesIn(filepath.Join(opts.StateDir, "pki"))}
}

// loadRunning loads the environment recorded in the state folder into e
// and returns "", or says why there is none to keep.
func (e *env) loadRunning() string {
	st, err := e.l.loadState()
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no environment in " + e.opts.StateDir
	case err != nil:
		return fmt.Sprintf("unreadable state (%v)", err)
	case st.PodCIDR == "" || st.Ports.Etcd == 0:
		return "state in " + e.opts.StateDir + " is from an older localcluster"
	}
	if names, err := e.l.dirs().Recorded(); err != nil || len(names) == 0 {
		return "the environment in " + e.opts.StateDir + " was stopped"
	}
	for _, f := range []string{e.pki.CACert, e.pki.ServingCert, e.pki.AdminCert, e.pki.SAPrivate, e.l.kubeconfig()} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Sprintf("the environment in %s lacks %s", e.opts.StateDir, f)
		}
	}
	added, err := st.Ports.fill() // components added since it started
	if err != nil {
		return err.Error()
	}
	if added > 0 {
		if err := e.l.saveState(st); err != nil {
			return err.Error()
		}
	}
	e.st = st
	return ""
}

// checkBinaries fails early, with the make target to run, when a binary is missing.
func (e *env) checkBinaries() error {
	for _, p := range []string{e.k8s(), filepath.Join(e.opts.BinDir, "kwok"), filepath.Join(e.opts.BinDir, sourceBinary),
		filepath.Join(e.opts.BinDir, kustomizeBinary), e.opts.Prometheus} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("missing %s (run `make localcluster kwok`; prometheus: hack/ensure-deps.sh): %w", p, err)
		}
	}
	if _, err := exec.LookPath("git"); err != nil {
		return fmt.Errorf("the git server needs git (hack/ensure-deps.sh installs it): %w", err)
	}
	return nil
}

// run starts every component that is not running, in order, and waits
// until the whole environment is ready. etcd and the API server must be
// ready before the next component starts; once the API server is, the
// nodes and Flux's CRDs are created (both idempotent).
func (e *env) run(ctx context.Context) error {
	for _, c := range components() {
		if !e.wanted(c) {
			continue
		}
		if !e.l.dirs().Alive(c.name) {
			if err := e.start(ctx, c); err != nil {
				return err
			}
		}
		if !c.core {
			continue
		}
		if err := e.waitReady(ctx, c.name, 90*time.Second, c.ready); err != nil {
			return err
		}
		if c.name == nameAPIServer {
			if err := createNodes(ctx, e); err != nil {
				return err
			}
			if err := applyFluxCRDs(ctx, e); err != nil {
				return err
			}
		}
	}
	return e.waitAll(ctx)
}

// fresh starts a new environment in a wiped state folder.
func (e *env) fresh(ctx context.Context) error {
	start := time.Now()
	if err := e.prepare(); err != nil {
		return err
	}
	if !e.st.Podsim {
		e.logf("WARNING: %s not found; starting without the pod runner and ingress", filepath.Join(e.opts.BinDir, "podsim"))
	}
	if err := e.run(ctx); err != nil {
		return err
	}
	e.logf("environment up in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// prepare wipes the state folder, chooses ports, and writes credentials,
// the kubeconfig and state.json.
func (e *env) prepare() error {
	if err := e.l.wipe(); err != nil {
		return err
	}
	var ports Ports
	if _, err := ports.fill(); err != nil {
		return err
	}
	cidr, lock, lockFile, err := choosePodCIDR()
	if err != nil {
		return err
	}
	e.cidrLock = lockFile
	_, statErr := os.Stat(filepath.Join(e.opts.BinDir, "podsim"))
	e.st = State{Ports: ports, Podsim: statErr == nil, PodCIDR: cidr, PodCIDRLock: lock}
	if e.pki, err = pki.Generate(e.l.pkiDir()); err != nil {
		return err
	}
	if err := writeKubeconfig(e.l.kubeconfig(), ports.APIServer, e.pki); err != nil {
		return err
	}
	return e.l.saveState(e.st)
}

// start launches one component under the supervisor, after stopping what
// is left of an earlier run of it (the component itself may outlive a
// killed supervisor and hold its port).
func (e *env) start(ctx context.Context, c component) error {
	if res, err := e.l.dirs().Stop(ctx, c.name, stopGrace); err != nil {
		return err
	} else if res.PID != 0 {
		e.logf("%s (pid %d) is not running (%s); restarting it in place", c.name, res.PID, res.How)
	}
	spec, err := c.spec(e)
	if err != nil {
		return fmt.Errorf("start %s: %w", c.name, err)
	}
	if spec, err = supervised(spec); err != nil {
		return err
	}
	pid, err := e.l.dirs().Start(spec)
	if err != nil {
		return err
	}
	e.logf("started %-24s pid %-7d log %s", c.name, pid, e.l.dirs().LogPath(c.name))
	return nil
}

// waitAll waits for every component and the cluster itself, then writes
// the env file.
func (e *env) waitAll(ctx context.Context) error {
	for _, c := range components() {
		if !e.wanted(c) {
			continue
		}
		if err := e.waitReady(ctx, c.name, 120*time.Second, c.ready); err != nil {
			return err
		}
	}
	if err := e.waitReady(ctx, "", 120*time.Second, clusterReady); err != nil {
		return err
	}
	if err := writeEnvFile(e.l, e.st); err != nil {
		return err
	}
	e.logf("ready: %d nodes; env file %s", e.opts.Nodes, e.l.envFile())
	return nil
}

func (e *env) logf(format string, args ...any) {
	if e.opts.Out != nil {
		fmt.Fprintf(e.opts.Out, "localcluster: "+format+"\n", args...)
	}
}

// absPath makes p absolute.
func absPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("absolute path of %s: %w", p, err)
	}
	return abs, nil
}
