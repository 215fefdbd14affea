// Package loadgen sends steady, bounded traffic through the ingress to
// every Service labelled sim.kship.dev/load: "true", so that the demo apps'
// request rates, error rates and latencies exist in Prometheus for kship's
// metric gates to judge.
package loadgen

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Label and annotations a Service uses to ask for load.
const (
	LoadLabel      = "sim.kship.dev/load"      // "true": send traffic to this Service
	RPSAnnotation  = "sim.kship.dev/rps"       // requests per second (default DefaultRPS)
	PathAnnotation = "sim.kship.dev/load-path" // request path (default "/")
)

// Defaults and bounds of the load.
const (
	DefaultRPS  = 20.0
	MaxRPS      = 200.0 // per Service; higher annotations are capped
	maxInFlight = 32    // per Service; ticks beyond it are dropped, not queued
)

// Options configures a Generator.
type Options struct {
	Services cache.SharedIndexInformer
	Ingress  string        // host:port of the ingress
	Timeout  time.Duration // per request (default 5s)
	Log      *slog.Logger
}

// Generator runs one load stream per labelled Service.
type Generator struct {
	opts     Options
	services corelisters.ServiceLister
	queue    workqueue.TypedRateLimitingInterface[string]
	client   *http.Client

	mu      sync.Mutex
	streams map[string]*stream // namespace/name → its running stream
}

// New returns a Generator fed by the Service informer; call Run to start.
func New(opts Options) (*Generator, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	g := &Generator{
		opts:     opts,
		services: corelisters.NewServiceLister(opts.Services.GetIndexer()),
		queue:    workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		client: &http.Client{Timeout: opts.Timeout, Transport: &http.Transport{
			MaxIdleConnsPerHost: maxInFlight, IdleConnTimeout: 30 * time.Second,
		}},
		streams: map[string]*stream{},
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			g.queue.Add(key)
		}
	}
	_, err := opts.Services.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }, DeleteFunc: enqueue,
	})
	if err != nil {
		return nil, fmt.Errorf("watch services: %w", err)
	}
	return g, nil
}

// Run keeps the streams in line with the Services until ctx ends, then
// stops them all.
func (g *Generator) Run(ctx context.Context) {
	go func() {
		<-ctx.Done()
		g.queue.ShutDown()
	}()
	for {
		key, shutdown := g.queue.Get()
		if shutdown {
			break
		}
		g.reconcile(ctx, key)
		g.queue.Done(key)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for key, s := range g.streams {
		s.stop()
		delete(g.streams, key)
	}
}

// reconcile starts, restarts or stops the stream of one Service.
func (g *Generator) reconcile(ctx context.Context, key string) {
	ns, name, _ := cache.SplitMetaNamespaceKey(key)
	svc, err := g.services.Services(ns).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		g.opts.Log.Warn("load generator: read service", "service", key, "err", err)
		return
	}
	var want Load
	if err == nil {
		want = LoadFor(svc)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	current := g.streams[key]
	if current != nil && current.load == want {
		return
	}
	if current != nil {
		current.stop()
		delete(g.streams, key)
		g.opts.Log.Info("load generator: stopped", "service", key, "stats", current.stats.String())
	}
	if want.RPS > 0 {
		g.streams[key] = g.start(ctx, name+"."+ns, want)
		g.opts.Log.Info("load generator: started", "service", key, "rps", want.RPS, "path", want.Path)
	}
}

// Load is the traffic a Service asked for; RPS 0 means none.
type Load struct {
	RPS  float64
	Path string
}

// LoadFor reads the Service's label and annotations: no traffic unless
// labelled, DefaultRPS unless annotated, never more than MaxRPS; an
// unreadable rps annotation falls back to the default.
func LoadFor(svc *corev1.Service) Load {
	if svc.Labels[LoadLabel] != "true" {
		return Load{}
	}
	l := Load{RPS: DefaultRPS, Path: "/"}
	if s, ok := svc.Annotations[RPSAnnotation]; ok {
		if rps, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && rps >= 0 {
			l.RPS = min(rps, MaxRPS)
		}
	}
	if p := svc.Annotations[PathAnnotation]; strings.HasPrefix(p, "/") {
		l.Path = p
	}
	if l.RPS == 0 {
		return Load{}
	}
	return l
}
