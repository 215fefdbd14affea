package runner

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// proc is one demo-app process serving one container port of one pod, in
// its own process group.
type proc struct {
	key       string    // namespace/name of the pod
	uid       types.UID // the pod's UID, so a recreated pod gets a new process
	container string
	addr      string // podIP:containerPort
	started   time.Time
	cmd       *exec.Cmd
	done      chan struct{} // closed once the process has exited and was reaped
	exitErr   error         // how it exited; read only after done
	serving   atomic.Bool   // accepts connections on addr
	stopping  atomic.Bool   // stop was asked for; its exit is expected
}

// procSpec is what a process is started with.
type procSpec struct {
	key, container, addr string
	uid                  types.UID
	binary               string
	env                  []string
	log                  *os.File
}

// startProc starts the demo app for spec. onExit runs (in its own
// goroutine) once the process has exited.
func startProc(spec procSpec, onExit func(*proc)) (*proc, error) {
	cmd := exec.Command(spec.binary, "--listen", spec.addr)
	cmd.Env = spec.env
	cmd.Stdout, cmd.Stderr = spec.log, spec.log
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // its own group: signals reach it and whatever it starts
		Pdeathsig: syscall.SIGKILL, // and it dies with podsim, even when podsim is killed
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s for pod %s on %s: %w", spec.binary, spec.key, spec.addr, err)
	}
	p := &proc{key: spec.key, uid: spec.uid, container: spec.container, addr: spec.addr,
		started: time.Now(), cmd: cmd, done: make(chan struct{})}
	go func() {
		p.exitErr = cmd.Wait()
		p.serving.Store(false)
		close(p.done)
		onExit(p)
	}()
	go p.probe(10 * time.Second)
	return p, nil
}

// probe marks the process serving once its address accepts a connection,
// the simulator's stand-in for the container becoming able to take traffic.
func (p *proc) probe(limit time.Duration) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-deadline.C:
			return
		case <-tick.C:
			conn, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond)
			if err == nil {
				conn.Close()
				p.serving.Store(true)
				return
			}
		}
	}
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group and SIGKILL after grace if it is
// still there; it returns at once, p.done tells when it is gone.
func (p *proc) stop(grace time.Duration) {
	if !p.stopping.CompareAndSwap(false, true) || p.exited() {
		return
	}
	p.serving.Store(false)
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	go func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}()
}

// wait blocks until the process has exited or limit passed; it reports
// whether the process is gone.
func (p *proc) wait(limit time.Duration) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// describeExit says how the process ended, for the logs.
func (p *proc) describeExit() string {
	var ee *exec.ExitError
	switch {
	case p.exitErr == nil:
		return "exited with status 0"
	case errors.As(p.exitErr, &ee):
		return ee.String()
	default:
		return p.exitErr.Error()
	}
}
