package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// StopResult says how one component was stopped.
type StopResult struct {
	Name string
	PID  int
	// How is "not running", "terminated" or "killed".
	How string
}

// Stop ends the process group recorded for name: SIGTERM, then SIGKILL if
// the group has not exited after grace. It waits until no process of the
// group is left and removes the PID file.
func (d Dirs) Stop(ctx context.Context, name string, grace time.Duration) (StopResult, error) {
	pid, err := d.PID(name)
	if err != nil {
		return StopResult{Name: name}, err
	}
	res := StopResult{Name: name, PID: pid, How: "not running"}
	if pid > 0 && len(GroupMembers(pid)) > 0 {
		res.How, err = stopGroup(ctx, pid, grace)
		if err != nil {
			return res, fmt.Errorf("stop %s (pgid %d): %w", name, pid, err)
		}
	}
	if err := os.Remove(d.pidPath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("stop %s: remove pid file: %w", name, err)
	}
	return res, nil
}

// stopGroup signals process group pgid and waits for all its members to go.
func stopGroup(ctx context.Context, pgid int, grace time.Duration) (string, error) {
	signalGroup(pgid, syscall.SIGTERM)
	if waitGroupGone(ctx, pgid, grace) {
		return "terminated", nil
	}
	signalGroup(pgid, syscall.SIGKILL)
	if waitGroupGone(ctx, pgid, 10*time.Second) {
		return "killed", nil
	}
	return "", fmt.Errorf("processes %v still running after SIGKILL", GroupMembers(pgid))
}

// signalGroup sends sig to every process in group pgid. Members that left
// the group (setsid) are signalled by PID too.
func signalGroup(pgid int, sig syscall.Signal) {
	_ = syscall.Kill(-pgid, sig)
	for _, pid := range GroupMembers(pgid) {
		_ = syscall.Kill(pid, sig)
	}
}

// waitGroupGone waits up to timeout for group pgid to have no live member.
func waitGroupGone(ctx context.Context, pgid int, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if len(GroupMembers(pgid)) == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}
