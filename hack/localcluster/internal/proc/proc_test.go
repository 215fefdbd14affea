package proc

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func dirs(t *testing.T) Dirs {
	dir := t.TempDir()
	return Dirs{Logs: filepath.Join(dir, "logs"), PIDs: filepath.Join(dir, "pids")}
}

// waitTree waits until the group of pid has at least n processes.
func waitTree(t *testing.T, pid, n int) []Process {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if tree := Tree(pid); len(tree) >= n {
			return tree
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process tree of %d: %v, want %d processes", pid, Tree(pid), n)
	return nil
}

func TestStopEndsGroupAndDescendantsInOtherSessions(t *testing.T) {
	d := dirs(t)
	// sh, a sleep in its group, and a sleep that left for its own session;
	// sh writes to the log before it starts them.
	pid, err := d.Start(Spec{Name: "family", Path: "sh", Args: []string{"-c", "echo started; sleep 100 & setsid sleep 100 & wait"}})
	if err != nil {
		t.Fatal(err)
	}
	tree := waitTree(t, pid, 3)
	if !d.Alive("family") {
		t.Fatal("Alive = false right after Start")
	}
	res, err := d.Stop(context.Background(), "family", 5*time.Second)
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if res.How != "terminated" || res.PID != pid {
		t.Errorf("Stop = %+v, want pid %d terminated", res, pid)
	}
	if left := running(tree); len(left) != 0 {
		t.Errorf("still running after Stop: %v", left)
	}
	if d.Alive("family") {
		t.Error("Alive = true after Stop")
	}
	if _, err := os.Stat(d.pidPath("family")); !os.IsNotExist(err) {
		t.Errorf("pid file after Stop: %v", err)
	}
	if data, _ := os.ReadFile(d.LogPath("family")); string(data) != "started\n" {
		t.Errorf("log = %q, want the child's output", data)
	}
}

func TestStopKillsWhatIgnoresSIGTERM(t *testing.T) {
	d := dirs(t)
	pid, err := d.Start(Spec{Name: "stubborn", Path: "sh", Args: []string{"-c", "trap '' TERM; sleep 100"}})
	if err != nil {
		t.Fatal(err)
	}
	waitTree(t, pid, 2)
	res, err := d.Stop(context.Background(), "stubborn", 300*time.Millisecond)
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if res.How != "killed" {
		t.Errorf("Stop = %+v, want killed", res)
	}
	if Alive(pid) {
		t.Error("process alive after Stop")
	}
}

func TestStopWithoutPIDFile(t *testing.T) {
	res, err := dirs(t).Stop(context.Background(), "never-started", time.Second)
	if err != nil || res.How != "not running" {
		t.Errorf("Stop = %+v, %v; want not running", res, err)
	}
}

func TestRecycledPIDIsNotOurs(t *testing.T) {
	d := dirs(t)
	pid, err := d.Start(Spec{Name: "app", Path: "sleep", Args: []string{"100"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background(), "app", time.Second) //nolint:errcheck
	if !d.Alive("app") {
		t.Fatal("Alive = false right after Start")
	}
	// Pretend the recorded process started at another time: the live
	// process with that PID is someone else's, and must not be stopped.
	if err := os.WriteFile(d.startPath("app"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d.Alive("app") {
		t.Error("Alive = true for a PID whose start time differs")
	}
	res, err := d.Stop(context.Background(), "app", time.Second)
	if err != nil || res.How != "not running" {
		t.Errorf("Stop = %+v, %v; want not running", res, err)
	}
	if !Alive(pid) {
		t.Error("Stop signalled a process that was not ours")
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// A supervised child outlives its supervisor killed alone (not its
// group): Stop still ends it, so a restart in place finds its port free.
func TestStopEndsTheGroupOfADeadLeader(t *testing.T) {
	d := dirs(t)
	pid, err := d.Start(Spec{Name: "supervisor", Path: "sh", Args: []string{"-c", "sleep 100 & wait"}})
	if err != nil {
		t.Fatal(err)
	}
	tree := waitTree(t, pid, 2)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	deadline := time.Now().Add(5 * time.Second)
	for exists(pid) && time.Now().Before(deadline) { // reaped by Start's Wait
		time.Sleep(20 * time.Millisecond)
	}
	if d.Alive("supervisor") {
		t.Fatal("Alive = true after the leader was killed")
	}
	if len(running(tree)) != 1 {
		t.Fatalf("want the child still running, have %v", running(tree))
	}
	res, err := d.Stop(context.Background(), "supervisor", time.Second)
	if err != nil || res.How != "terminated" {
		t.Errorf("Stop = %+v, %v; want terminated", res, err)
	}
	if left := running(tree); len(left) != 0 {
		t.Errorf("still running after Stop: %v", left)
	}
}
