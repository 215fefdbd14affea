// Command podsim makes the local environment's simulated pods real enough
// to take traffic: it runs a demo-app process for every Running pod, a
// Host-routed ingress to the Ready pods of each Service, and steady load to
// the Services that ask for it. See package sim and hack/localcluster/SIM.md.
//
//	podsim --kubeconfig K --listen 127.0.0.1:PORT --demoapp PATH --log-dir DIR
//
// It stops every process it started on SIGTERM or SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/kship/kship/hack/localcluster/internal/sim"
)

func main() {
	os.Exit(run())
}

func run() int {
	opts := sim.Options{}
	flag.StringVar(&opts.Kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the local cluster")
	flag.StringVar(&opts.Listen, "listen", "127.0.0.1:8480", "loopback IP:PORT of the ingress")
	flag.StringVar(&opts.DemoApp, "demoapp", "", "path of the demoapp binary (default: demoapp next to podsim)")
	flag.StringVar(&opts.LogDir, "log-dir", "", "folder for the per-pod demo-app logs (required)")
	flag.IntVar(&opts.MaxProcesses, "max-processes", 300, "most demo-app processes at once")
	flag.BoolVar(&opts.NoLoad, "no-load", false, "do not run the load generator")
	flag.Parse()
	if opts.Kubeconfig == "" || opts.LogDir == "" {
		fmt.Fprintln(os.Stderr, "podsim: --kubeconfig and --log-dir are required")
		flag.Usage()
		return 1
	}
	if opts.DemoApp == "" {
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, "podsim: find demoapp:", err)
			return 1
		}
		opts.DemoApp = filepath.Join(filepath.Dir(self), "demoapp")
	}
	if _, err := os.Stat(opts.DemoApp); err != nil {
		fmt.Fprintf(os.Stderr, "podsim: demoapp binary: %v\n", err)
		return 1
	}
	opts.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := sim.Run(ctx, opts); err != nil {
		opts.Log.Error("podsim: stopped with an error", "err", err)
		return 1
	}
	return 0
}
