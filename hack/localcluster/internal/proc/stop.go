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

// Stop ends the process group recorded for name and every descendant of
// it (also those in other groups): SIGTERM, then SIGKILL for what has not
// exited after grace. It waits until none of them is left and removes the
// PID file.
func (d Dirs) Stop(ctx context.Context, name string, grace time.Duration) (StopResult, error) {
	pid, err := d.PID(name)
	if err != nil {
		return StopResult{Name: name}, err
	}
	res := StopResult{Name: name, PID: pid, How: "not running"}
	// A group whose leader is gone may still have members (a supervised
	// child outlives a killed supervisor). They are ours: Linux hands out
	// no PID that is still the ID of a process group.
	if tree := Tree(pid); pid > 0 && len(tree) > 0 && (d.ours(name, pid) || !exists(pid)) {
		res.How, err = stopTree(ctx, pid, tree, grace)
		if err != nil {
			return res, fmt.Errorf("stop %s (pgid %d): %w", name, pid, err)
		}
	}
	for _, p := range []string{d.pidPath(name), d.startPath(name)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("stop %s: remove %s: %w", name, p, err)
		}
	}
	return res, nil
}

// stopTree sends SIGTERM to process group pgid and to the descendants found
// before (tree), waits for all of them to go, and kills what is left after
// grace.
func stopTree(ctx context.Context, pgid int, tree []Process, grace time.Duration) (string, error) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	for _, p := range tree { // descendants that moved to another group
		if p.Running() {
			_ = syscall.Kill(p.PID, syscall.SIGTERM)
		}
	}
	if waitGone(ctx, pgid, tree, grace) {
		return "terminated", nil
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	for _, p := range append(tree, Tree(pgid)...) {
		if p.Running() {
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
		}
	}
	if waitGone(ctx, pgid, tree, 10*time.Second) {
		return "killed", nil
	}
	return "", fmt.Errorf("processes %v still running after SIGKILL", running(tree))
}

// running returns the PIDs of the processes in ps that still run.
func running(ps []Process) []int {
	var pids []int
	for _, p := range ps {
		if p.Running() {
			pids = append(pids, p.PID)
		}
	}
	return pids
}

// waitGone waits up to timeout until group pgid has no live member and no
// process of tree runs.
func waitGone(ctx context.Context, pgid int, tree []Process, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if len(GroupMembers(pgid)) == 0 && len(running(tree)) == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// exists reports whether a process (zombie or not) has this PID.
func exists(pid int) bool {
	_, err := readStat(pid)
	return err == nil
}
