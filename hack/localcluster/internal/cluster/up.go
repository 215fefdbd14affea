package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kship/kship/hack/localcluster/internal/pki"
)

// Up starts the environment and waits until it is ready, then writes the
// env file. If the environment recorded in the state folder is up, it only
// checks it (and restarts components that died); if etcd or the API server
// is gone, it stops whatever is left and starts afresh.
func Up(ctx context.Context, opts Options) error {
	e := &env{opts: opts, l: layout{root: opts.StateDir}, pki: pki.FilesIn(filepath.Join(opts.StateDir, "pki"))}
	if err := e.checkBinaries(); err != nil {
		return err
	}
	if e.tryResume(ctx) {
		return nil
	}
	stopped, err := Down(ctx, opts)
	if err != nil {
		return fmt.Errorf("clean up before start: %w", err)
	}
	for _, r := range stopped {
		e.logf("stopped leftover %s (pid %d): %s", r.Name, r.PID, r.How)
	}
	return e.fresh(ctx)
}

// tryResume reports whether the environment recorded in the state folder
// is ready, after restarting any of its components that died. It says why
// when it is not.
func (e *env) tryResume(ctx context.Context) bool {
	st, err := e.l.loadState()
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false
	case err != nil:
		e.logf("ignoring unreadable state: %v", err)
		return false
	case !st.Ports.complete() || st.PodCIDR == "":
		e.logf("state in %s is from an older localcluster; starting afresh", e.opts.StateDir)
		return false
	}
	e.st = st
	if !e.coreAlive(ctx) {
		e.logf("etcd or the API server of %s is not running; starting afresh", e.opts.StateDir)
		return false
	}
	e.logf("environment in %s is running; checking its components", e.opts.StateDir)
	if err := e.resume(ctx); err != nil {
		e.logf("resuming failed (%v); starting afresh", err)
		return false
	}
	return true
}

// checkBinaries fails early, with the make target to run, when a binary is missing.
func (e *env) checkBinaries() error {
	for _, p := range []string{e.k8s(), filepath.Join(e.opts.BinDir, "kwok"), e.opts.Prometheus} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("missing %s (run `make localcluster kwok`; prometheus: apt-get install prometheus): %w", p, err)
		}
	}
	return nil
}

// coreAlive reports whether etcd and the API server run and answer.
func (e *env) coreAlive(ctx context.Context) bool {
	for _, c := range components()[:2] {
		if !e.l.dirs().Alive(c.name) {
			return false
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.ready(ctx, e)
		cancel()
		if err != nil {
			return false
		}
	}
	return true
}

// resume starts the components that are not running, then waits for all.
func (e *env) resume(ctx context.Context) error {
	for _, c := range components()[2:] {
		if c.name == namePodsim && !e.st.Podsim {
			continue
		}
		if e.l.dirs().Alive(c.name) {
			continue
		}
		e.logf("%s is not running; restarting it", c.name)
		if err := e.start(c); err != nil {
			return err
		}
	}
	if err := createNodes(ctx, e); err != nil {
		return err
	}
	return e.waitAll(ctx)
}

// fresh starts a new environment in a wiped state folder.
func (e *env) fresh(ctx context.Context) error {
	start := time.Now()
	if err := e.prepare(); err != nil {
		return err
	}
	for _, c := range components() {
		if c.name == namePodsim && !e.st.Podsim {
			e.logf("WARNING: %s not found; starting without the pod runner and ingress", filepath.Join(e.opts.BinDir, "podsim"))
			continue
		}
		if err := e.start(c); err != nil {
			return err
		}
		if c.name == nameEtcd || c.name == nameAPIServer {
			if err := e.waitReady(ctx, c.name, 90*time.Second, c.ready); err != nil {
				return err
			}
		}
		if c.name == nameAPIServer {
			if err := createNodes(ctx, e); err != nil {
				return err
			}
		}
	}
	if err := e.waitAll(ctx); err != nil {
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
	ports, err := newPorts()
	if err != nil {
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

// start launches one component.
func (e *env) start(c component) error {
	spec, err := c.spec(e)
	if err != nil {
		return fmt.Errorf("start %s: %w", c.name, err)
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
		if c.name == namePodsim && !e.st.Podsim {
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
