package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// startLocked runs `make cluster-up` in root while holding an exclusive
// lock on .localcluster/testenv.lock, so parallel test binaries start the
// environment once. After taking the lock it checks again: another binary
// may have started it meanwhile.
func startLocked(ctx context.Context, t testing.TB, root string) error {
	dir := filepath.Join(root, ".localcluster")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	lockPath := filepath.Join(dir, "testenv.lock")
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("open lock %s: %w", lockPath, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", lockPath, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck
	if _, err := load(ctx, root); err == nil {
		return nil
	}
	t.Logf("testenv: starting the local environment with `make cluster-up` in %s", root)
	cmd := exec.CommandContext(ctx, "make", "cluster-up")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("make cluster-up: %w\n%s", err, out)
	}
	return nil
}
