// Package sim is kship's pod simulator: the part of the local environment
// that makes KWOK's simulated pods answer traffic. It runs, in one process,
//
//   - the runner (package runner): one demo-app process per Running pod and
//     TCP container port, bound to the pod's loopback IP;
//   - the ingress (package ingress): a Host-routed reverse proxy to the Ready
//     pods of a Service, since nothing in Kubernetes can route to loopback
//     pod IPs;
//   - the load generator (package loadgen): steady traffic through the
//     ingress to every Service labelled sim.kship.dev/load: "true".
//
// All three read the API server through shared informers (watches, no
// polling).
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kship/kship/hack/localcluster/internal/sim/ingress"
	"github.com/kship/kship/hack/localcluster/internal/sim/loadgen"
	"github.com/kship/kship/hack/localcluster/internal/sim/runner"
)

// Options configures the simulator.
type Options struct {
	Kubeconfig   string // path of the kubeconfig to watch the cluster with
	Listen       string // loopback IP:PORT of the ingress
	DemoApp      string // path of the demoapp binary
	LogDir       string // per-pod logs of the demo apps
	MaxProcesses int    // cap on demo-app processes (0: the runner's default)
	NoLoad       bool   // do not start the load generator
	Log          *slog.Logger
}

// Run runs the runner, ingress and load generator until ctx ends, then
// stops every process it started. It returns once all are stopped.
func Run(ctx context.Context, opts Options) error {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	client, err := newClient(opts.Kubeconfig)
	if err != nil {
		return err
	}
	ln, err := listen(opts.Listen)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	pods, services := factory.Core().V1().Pods().Informer(), factory.Core().V1().Services().Informer()
	run, err := runner.New(runner.Options{Client: client, Pods: pods, DemoApp: opts.DemoApp,
		LogDir: opts.LogDir, MaxProcesses: opts.MaxProcesses, Log: opts.Log})
	if err != nil {
		ln.Close()
		return err
	}
	in := ingress.New(ingress.Options{Pods: pods, Services: services, Serving: run.Serving,
		Status: func() any { return run.Processes() }, Log: opts.Log})
	var gen *loadgen.Generator
	if !opts.NoLoad {
		if gen, err = loadgen.New(loadgen.Options{Services: services, Ingress: ln.Addr().String(), Log: opts.Log}); err != nil {
			ln.Close()
			return err
		}
	}
	return serve(ctx, opts.Log, ln, factory, in, run, gen)
}

// serve starts everything, marks the ingress ready once the caches synced,
// and on ctx's end shuts down in order: load, ingress, processes.
func serve(ctx context.Context, log *slog.Logger, ln net.Listener, factory informers.SharedInformerFactory,
	in *ingress.Ingress, run *runner.Runner, gen *loadgen.Generator) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &http.Server{Handler: in, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("podsim: ingress listening", "addr", ln.Addr().String())

	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok && ctx.Err() == nil {
			srv.Close()
			return fmt.Errorf("sync informer for %v: cache did not sync", typ)
		}
	}
	runnerDone, genDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(runnerDone); run.Run(ctx) }()
	go func() {
		defer close(genDone)
		if gen != nil {
			gen.Run(ctx)
		}
	}()
	in.SetReady()
	log.Info("podsim: informers synced, ingress ready")

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("serve ingress on %s: %w", ln.Addr(), err)
		cancel()
	}
	<-genDone
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer stop()
	if serr := srv.Shutdown(shutdownCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		log.Warn("podsim: ingress shutdown", "err", serr)
	}
	<-runnerDone
	factory.Shutdown()
	return err
}

func newClient(kubeconfig string) (*kubernetes.Clientset, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	cfg.UserAgent = "kship-podsim"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	return client, nil
}

// listen opens the ingress listener, refusing addresses off loopback.
func listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("ingress listen address %q: %w", addr, err)
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("ingress listen address %q: want a loopback IP:PORT such as 127.0.0.1:8480", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ingress listen on %s: %w", addr, err)
	}
	return ln, nil
}
