package testenv_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kship/kship/internal/testenv"
)

// TestUpIdempotentAndDownLeavesNothing starts a second, throwaway
// environment in a temporary state folder (its own ports), checks that `up`
// is idempotent and restarts a component that died, then that `down` stops
// every process it started, including their descendants.
func TestUpIdempotentAndDownLeavesNothing(t *testing.T) {
	env := testenv.Get(t) // builds the binaries if needed
	bin := filepath.Join(env.RepoRoot, "bin")
	state := t.TempDir()
	lc := func(ctx context.Context, args ...string) (string, error) {
		args = append(args, "--state-dir", state, "--bin-dir", bin)
		out, err := exec.CommandContext(ctx, filepath.Join(bin, "localcluster"), args...).CombinedOutput()
		return string(out), err
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	t.Cleanup(func() { _, _ = lc(context.WithoutCancel(t.Context()), "down") })

	start := time.Now()
	if out, err := lc(ctx, "up"); err != nil {
		t.Fatalf("localcluster up: %v\n%s", err, out)
	}
	t.Logf("throwaway environment up in %s", time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat(filepath.Join(state, "env")); err != nil {
		t.Fatalf("env file after up: %v", err)
	}
	pids := recordedPIDs(t, state)

	start = time.Now()
	if out, err := lc(ctx, "up"); err != nil {
		t.Fatalf("second localcluster up: %v\n%s", err, out)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("second up took %s; want a quick check of the running environment", d)
	}
	if again := recordedPIDs(t, state); !equalMaps(pids, again) {
		t.Errorf("second up changed the processes: %v, then %v", pids, again)
	}

	// KWOK dying (v0.8.0 sometimes does, at start) is repaired by its
	// supervisor, without up's help.
	kwok := childrenOf(pids["kwok"])
	if len(kwok) != 1 {
		t.Fatalf("kwok supervisor %d has children %v, want one kwok", pids["kwok"], kwok)
	}
	_ = syscall.Kill(kwok[0], syscall.SIGKILL)
	eventually(t, 30*time.Second, "kwok restarted by its supervisor", func(context.Context) (bool, string) {
		now := childrenOf(pids["kwok"])
		return len(now) == 1 && now[0] != kwok[0], fmt.Sprintf("children %v", now)
	})

	// A component that died is restarted by up.
	_ = syscall.Kill(-pids["prometheus"], syscall.SIGKILL)
	if out, err := lc(ctx, "up"); err != nil {
		t.Fatalf("up after killing prometheus: %v\n%s", err, out)
	}
	after := recordedPIDs(t, state)
	if after["prometheus"] == pids["prometheus"] || after["kube-apiserver"] != pids["kube-apiserver"] {
		t.Errorf("up after killing prometheus: pids %v, then %v; want only prometheus restarted", pids, after)
	}

	tree := descendants(t, after)
	if out, err := lc(ctx, "down"); err != nil {
		t.Fatalf("localcluster down: %v\n%s", err, out)
	}
	for _, pid := range tree {
		if alive(pid) {
			t.Errorf("process %d (%s) still running after down", pid, cmdline(pid))
		}
	}
	if left, _ := filepath.Glob(filepath.Join(state, "pids", "*.pid")); len(left) != 0 {
		t.Errorf("pid files left after down: %v", left)
	}
	t.Logf("down stopped %d processes", len(tree))
}

// recordedPIDs reads the PID files of a state folder.
func recordedPIDs(t *testing.T, state string) map[string]int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(state, "pids", "*.pid"))
	pids := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pids[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
	}
	for _, want := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "prometheus"} {
		if pids[want] == 0 || !alive(pids[want]) {
			t.Fatalf("component %s not running (pids %v)", want, pids)
		}
	}
	return pids
}

// descendants returns the recorded processes and all their descendants.
func descendants(t *testing.T, roots map[string]int) []int {
	t.Helper()
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	var queue []int
	for _, pid := range roots {
		queue = append(queue, pid)
	}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		out = append(out, pid)
		queue = append(queue, children[pid]...)
	}
	return out
}

// childrenOf returns the live child processes of pid.
func childrenOf(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(child); ok && ppid == pid && alive(child) {
			out = append(out, child)
		}
	}
	return out
}

// parentOf reads the parent PID from /proc/<pid>/stat.
func parentOf(pid int) (int, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func cmdline(pid int) string {
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.ReplaceAll(string(data), "\x00", " ")
}

func equalMaps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
