// Command localcluster starts, stops and inspects kship's local Kubernetes
// environment: `localcluster up|down|status [--state-dir DIR]`, and stops or
// starts one component of it in place: `localcluster stop|start COMPONENT`.
// See docs/local-environment.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kship/kship/hack/localcluster/internal/cluster"
	"github.com/kship/kship/hack/localcluster/internal/gitserver"
	"github.com/kship/kship/hack/localcluster/internal/promsd"
	"github.com/kship/kship/hack/localcluster/internal/supervise"
)

const usage = `usage: localcluster up|down|status [flags]
       localcluster stop|start COMPONENT [flags]
       localcluster supervise --name NAME [--hold-fd N] -- COMMAND [ARGS...]
       localcluster prometheus-sd --kubeconfig FILE --listen HOST:PORT
       localcluster git-server --root DIR --listen HOST:PORT [--git PATH]`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "up", "down", "status", "stop", "start":
		err = runCluster(ctx, os.Args[1], os.Args[2:])
	case "supervise":
		err = runSupervise(ctx, os.Args[2:])
	case "prometheus-sd":
		err = runPromSD(ctx, os.Args[2:])
	case "git-server":
		err = runGitServer(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q\n%s", os.Args[1], usage)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
}

// runCluster parses the common flags and runs up, down, status, or stop
// or start of the component named by the first argument.
func runCluster(ctx context.Context, verb string, args []string) error {
	var name string
	if verb == "stop" || verb == "start" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return fmt.Errorf("%s: name the component (e.g. kube-apiserver, prometheus)\n%s", verb, usage)
		}
		name, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	opts := cluster.Options{Out: os.Stdout}
	fs.StringVar(&opts.StateDir, "state-dir", ".localcluster", "folder for state, logs and PID files")
	fs.StringVar(&opts.BinDir, "bin-dir", "bin", "folder with k8s, kwok, podsim and demoapp")
	fs.StringVar(&opts.Prometheus, "prometheus", "/usr/bin/prometheus", "prometheus executable")
	fs.IntVar(&opts.Nodes, "nodes", 3, "number of simulated nodes")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long up may take")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if opts.StateDir, err = filepath.Abs(opts.StateDir); err != nil {
		return err
	}
	if opts.BinDir, err = filepath.Abs(opts.BinDir); err != nil {
		return err
	}
	if verb != "status" {
		unlock, err := lockStateDir(opts.StateDir)
		if err != nil {
			return err
		}
		defer unlock()
	}
	switch verb {
	case "up":
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return cluster.Up(ctx, opts)
	case "down":
		return down(ctx, opts)
	case "stop":
		res, err := cluster.StopComponent(ctx, opts, name)
		if err == nil {
			fmt.Printf("localcluster: %-24s pid %-7d %s (data and port kept; `localcluster start %s` brings it back)\n", res.Name, res.PID, res.How, name)
		}
		return err
	case "start":
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return cluster.StartComponent(ctx, opts, name)
	default:
		return status(opts)
	}
}

func down(ctx context.Context, opts cluster.Options) error {
	results, err := cluster.Down(ctx, opts)
	for _, r := range results {
		fmt.Printf("localcluster: %-24s pid %-7d %s\n", r.Name, r.PID, r.How)
	}
	if err == nil {
		fmt.Printf("localcluster: down (%d components stopped)\n", len(results))
	}
	return err
}

func status(opts cluster.Options) error {
	comps, err := cluster.Status(opts)
	if err != nil {
		return err
	}
	if len(comps) == 0 {
		return errors.New("not running (no PID files in " + opts.StateDir + ")")
	}
	dead := 0
	for _, c := range comps {
		state := "running"
		switch {
		case c.PID == 0:
			state, dead = "STOPPED", dead+1
		case !c.Alive:
			state, dead = "NOT RUNNING", dead+1
		}
		fmt.Printf("%-24s pid %-7d %s\n", c.Name, c.PID, state)
	}
	if dead > 0 {
		return fmt.Errorf("%d components not running", dead)
	}
	if env, err := os.ReadFile(filepath.Join(opts.StateDir, "env")); err == nil {
		fmt.Printf("\n%s", env)
	}
	return nil
}

// runSupervise runs a command under the supervisor until signalled.
func runSupervise(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("supervise", flag.ContinueOnError)
	name := fs.String("name", "child", "name of the supervised command")
	holdFD := fs.Int("hold-fd", -1, "inherited file descriptor to keep open while running (a lock handed over by up)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("supervise: no command")
	}
	if *holdFD >= 0 {
		held := os.NewFile(uintptr(*holdFD), "held")
		defer held.Close() // keeps it referenced (and open) until the supervisor ends
	}
	s := &supervise.Supervisor{Name: *name, Argv: fs.Args(), Log: os.Stderr, MaxBackoff: 10 * time.Second}
	return s.Run(ctx)
}

// runPromSD serves the cluster's pods as Prometheus HTTP SD targets.
func runPromSD(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("prometheus-sd", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the cluster")
	listen := fs.String("listen", "127.0.0.1:0", "loopback address to serve on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return promsd.Run(ctx, *kubeconfig, *listen)
}

// runGitServer serves the bare repositories under --root over HTTP.
func runGitServer(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("git-server", flag.ContinueOnError)
	root := fs.String("root", "", "folder of the bare repositories")
	listen := fs.String("listen", "127.0.0.1:0", "loopback address to serve on")
	git := fs.String("git", "git", "git executable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *root == "" {
		return errors.New("git-server: --root is required")
	}
	return gitserver.Run(ctx, *root, *listen, *git, log.New(os.Stderr, "git-server: ", log.LstdFlags))
}

// lockStateDir takes an exclusive lock on the state folder, so concurrent
// `up`/`down` runs on one environment take turns.
func lockStateDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	path := filepath.Join(dir, cluster.LockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		fmt.Fprintf(os.Stderr, "localcluster: waiting for another localcluster using %s\n", dir)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	}
	return func() { f.Close() }, nil
}
