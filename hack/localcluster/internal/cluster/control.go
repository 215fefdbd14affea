package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kship/kship/hack/localcluster/internal/proc"
)

// StopComponent stops one component of the environment (its supervisor
// and the component, so it stays down) and leaves everything else as it
// is: its data, port and certificates stay for StartComponent or Up. Fault
// tests use it to take the API server or Prometheus away.
func StopComponent(ctx context.Context, opts Options, name string) (proc.StopResult, error) {
	if _, err := componentNamed(name); err != nil {
		return proc.StopResult{}, err
	}
	e := newEnv(opts)
	if why := e.loadRunning(); why != "" {
		return proc.StopResult{}, errors.New(why)
	}
	return e.l.dirs().Stop(ctx, name, stopGrace)
}

// StartComponent starts one stopped (or dead) component of the environment
// in place, with the data, port and certificates it had, and waits until
// it is ready; a running one is only checked.
func StartComponent(ctx context.Context, opts Options, name string) error {
	c, err := componentNamed(name)
	if err != nil {
		return err
	}
	e := newEnv(opts)
	if why := e.loadRunning(); why != "" {
		return errors.New(why)
	}
	if !e.wanted(c) {
		return fmt.Errorf("%s is not part of the environment in %s", name, opts.StateDir)
	}
	if !e.l.dirs().Alive(name) {
		if err := e.start(ctx, c); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := e.waitReady(ctx, name, 120*time.Second, c.ready); err != nil {
		return err
	}
	e.logf("%s ready after %s", name, time.Since(start).Round(10*time.Millisecond))
	return nil
}
