// Package supervise keeps one child process running: it restarts the child
// when it exits (with a capped back-off) until its own context ends, then
// stops the child. localcluster runs KWOK under it because KWOK v0.8.0
// sometimes dies at start with "fatal error: concurrent map writes".
package supervise

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Supervisor restarts Argv whenever it exits.
type Supervisor struct {
	// Name names the child in log lines.
	Name string
	// Argv is the child's command line.
	Argv []string
	// Log receives the supervisor's own messages and the child's output.
	Log io.Writer
	// Backoff is the first wait before a restart (default 1s); it doubles
	// up to MaxBackoff and starts over after a run longer than a minute.
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// Run runs the child until ctx ends, then sends it SIGTERM and waits for it.
func (s *Supervisor) Run(ctx context.Context) error {
	first := s.Backoff
	if first <= 0 {
		first = time.Second
	}
	backoff := first
	for restarts := 0; ; restarts++ {
		started := time.Now()
		err := s.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > time.Minute {
			backoff = first
		}
		fmt.Fprintf(s.Log, "supervise: %s exited after %s (%v); restart #%d in %s\n",
			s.Name, time.Since(started).Round(time.Millisecond), err, restarts+1, backoff)
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		backoff = min(2*backoff, max(s.MaxBackoff, first))
	}
}

// runOnce starts the child and waits for it to exit or for ctx to end.
func (s *Supervisor) runOnce(ctx context.Context) error {
	cmd := exec.Command(s.Argv[0], s.Argv[1:]...)
	cmd.Stdout, cmd.Stderr = s.Log, s.Log
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.Name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM)
		timer := time.NewTimer(10 * time.Second)
		defer timer.Stop()
		select {
		case err := <-done:
			return err
		case <-timer.C:
			_ = cmd.Process.Kill()
			return <-done
		}
	}
}
