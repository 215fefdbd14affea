package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/kship/kship/hack/localcluster/internal/proc"
)

// stopGrace is how long a component gets to exit after SIGTERM.
const stopGrace = 10 * time.Second

// Down stops every process group recorded in the state folder's PID files,
// in reverse start order, and waits until none of their processes is left.
// It removes the env file first, so nobody picks up a dying environment.
func Down(ctx context.Context, opts Options) ([]proc.StopResult, error) {
	l := layout{root: opts.StateDir}
	if err := os.Remove(l.envFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove env file: %w", err)
	}
	names, err := l.dirs().Recorded()
	if err != nil {
		return nil, err
	}
	var order []string
	for _, c := range slices.Backward(components()) {
		if slices.Contains(names, c.name) {
			order = append(order, c.name)
		}
	}
	for _, n := range names { // anything recorded that is not a known component
		if !slices.Contains(order, n) {
			order = append([]string{n}, order...)
		}
	}
	var results []proc.StopResult
	var errs []error
	for _, name := range order {
		res, err := l.dirs().Stop(ctx, name, stopGrace)
		results = append(results, res)
		errs = append(errs, err)
	}
	return results, errors.Join(errs...)
}

// ComponentStatus is one component's state for `localcluster status`.
type ComponentStatus struct {
	Name string
	// PID is the supervisor's (0: stopped, no PID file).
	PID   int
	Alive bool
}

// Status reports every component of the environment recorded in the state
// folder: those with a PID file, and those of its components without one
// (stopped by StopComponent). It returns nothing when none is recorded.
func Status(opts Options) ([]ComponentStatus, error) {
	e := newEnv(opts)
	recorded, err := e.l.dirs().Recorded()
	if err != nil || len(recorded) == 0 {
		return nil, err
	}
	st, stateErr := e.l.loadState()
	e.st = st
	var out []ComponentStatus
	for _, c := range components() {
		pid, err := e.l.dirs().PID(c.name)
		if err != nil {
			return out, err
		}
		if pid == 0 && (stateErr != nil || !e.wanted(c)) {
			continue
		}
		out = append(out, ComponentStatus{Name: c.name, PID: pid, Alive: pid != 0 && e.l.dirs().Alive(c.name)})
	}
	return out, nil
}

// logTail returns the last lines of a component's log, for error messages.
func (e *env) logTail(name string) string {
	if name == "" {
		return ""
	}
	data, err := os.ReadFile(e.l.dirs().LogPath(name))
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "--- last lines of " + e.l.dirs().LogPath(name) + " ---\n" + string(bytes.Join(lines, []byte("\n")))
}
