package testenv

import (
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// BuildKship builds the real kship binary of the repository at root into
// a temporary folder of t and returns its path: for e2e tests that run
// kship as a process (to signal or kill it).
func BuildKship(t testing.TB, root string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kship")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kship")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// SyncBuffer is an output buffer a running process writes while the test
// reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
