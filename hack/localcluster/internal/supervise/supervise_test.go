package supervise

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the supervisor and the child's
// output copier to write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRestartsAChildThatDies(t *testing.T) {
	runs := filepath.Join(t.TempDir(), "runs")
	log := &syncBuffer{}
	s := &Supervisor{
		Name: "crasher", Log: log, Backoff: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Argv: []string{"sh", "-c", "echo run >> " + runs + "; echo 'fatal error: concurrent map writes' >&2; exit 2"},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	data, _ := os.ReadFile(runs)
	if n := strings.Count(string(data), "run"); n < 4 {
		t.Errorf("child ran %d times in 1.5 s, want at least 4 (restarted after each exit)\n%s", n, log)
	}
	if !strings.Contains(log.String(), "supervise: crasher exited") {
		t.Errorf("log does not say the child exited:\n%s", log)
	}
}

func TestStopsTheChildWhenCancelled(t *testing.T) {
	log := &syncBuffer{}
	s := &Supervisor{Name: "sleeper", Log: log, Argv: []string{"sleep", "100"}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(200 * time.Millisecond) // let the child start
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of cancellation")
	}
	if strings.Contains(log.String(), "restart") {
		t.Errorf("supervisor restarted a child it was stopping:\n%s", log)
	}
}
