// Package runner is the simulator's kubelet for traffic: for every pod that
// KWOK reports Running with a loopback pod IP, it runs one demo-app process
// per TCP container port, bound to podIP:containerPort and configured from
// the container's environment (ConfigMaps and Secrets resolved at start, as
// the kubelet does), and stops it when the pod is deleted, stops running or
// changes IP.
package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Options configures a Runner.
type Options struct {
	Client       kubernetes.Interface // reads ConfigMaps and Secrets at process start
	Pods         cache.SharedIndexInformer
	DemoApp      string        // path of the demoapp binary
	LogDir       string        // one log file per pod is written here
	MaxProcesses int           // hard cap on processes at once (default 300)
	Grace        time.Duration // SIGTERM to SIGKILL (default 5s)
	Log          *slog.Logger
}

// Runner keeps one demo-app process per Running pod and container port.
type Runner struct {
	opts  Options
	pods  corelisters.PodLister
	queue workqueue.TypedRateLimitingInterface[string]

	mu       sync.Mutex
	procs    map[string]map[int32]*proc // pod key → container port → process
	byAddr   map[string]*proc           // podIP:port → process holding it
	restarts map[string]restart         // pod key/addr → back-off after early exits
}

// New returns a Runner fed by the given pod informer; call Run to start it.
func New(opts Options) (*Runner, error) {
	if opts.MaxProcesses <= 0 {
		opts.MaxProcesses = 300
	}
	if opts.Grace <= 0 {
		opts.Grace = 5 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if err := os.MkdirAll(opts.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("create log dir %s: %w", opts.LogDir, err)
	}
	r := &Runner{
		opts: opts,
		pods: corelisters.NewPodLister(opts.Pods.GetIndexer()),
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](
			500*time.Millisecond, 10*time.Second)),
		procs:    map[string]map[int32]*proc{},
		byAddr:   map[string]*proc{},
		restarts: map[string]restart{},
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			r.queue.Add(key)
		}
	}
	_, err := opts.Pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	})
	if err != nil {
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	return r, nil
}

// Run reconciles pods until ctx ends, then stops every process it started
// and waits for them to exit.
func (r *Runner) Run(ctx context.Context) {
	go func() {
		<-ctx.Done()
		r.queue.ShutDown()
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for r.processNext(ctx) {
			}
		})
	}
	wg.Wait()
	r.stopAll()
}

// workers is how many pods are reconciled at once; the queue never hands
// the same pod to two workers.
const workers = 4

func (r *Runner) processNext(ctx context.Context) bool {
	key, shutdown := r.queue.Get()
	if shutdown {
		return false
	}
	defer r.queue.Done(key)
	if err := r.reconcile(ctx, key); err != nil {
		r.opts.Log.Warn("pod runner: will retry", "pod", key, "err", err)
		r.queue.AddRateLimited(key)
		return true
	}
	r.queue.Forget(key)
	return true
}

// stopAll stops every process and waits until they are gone.
func (r *Runner) stopAll() {
	r.mu.Lock()
	all := make([]*proc, 0, len(r.byAddr))
	for _, p := range r.byAddr {
		all = append(all, p)
	}
	r.mu.Unlock()
	for _, p := range all {
		p.stop(r.opts.Grace)
	}
	for _, p := range all {
		p.wait(r.opts.Grace + 5*time.Second)
	}
	r.opts.Log.Info("pod runner: stopped all processes", "count", len(all))
}

// Serving reports whether a process of the runner accepts connections on
// ip:port; the ingress routes only to those.
func (r *Runner) Serving(ip string, port int32) bool {
	r.mu.Lock()
	p := r.byAddr[net.JoinHostPort(ip, strconv.Itoa(int(port)))]
	r.mu.Unlock()
	return p != nil && p.serving.Load() && !p.stopping.Load()
}

// Process describes one running demo-app process.
type Process struct {
	Pod       string    `json:"pod"` // namespace/name
	UID       string    `json:"uid"`
	Container string    `json:"container"`
	Address   string    `json:"address"`
	PID       int       `json:"pid"`
	Serving   bool      `json:"serving"`
	Started   time.Time `json:"started"`
}

// Processes lists the runner's live processes, sorted by pod and address.
func (r *Runner) Processes() []Process {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := make([]Process, 0, len(r.byAddr))
	for _, p := range r.byAddr {
		if p.exited() {
			continue
		}
		list = append(list, Process{Pod: p.key, UID: string(p.uid), Container: p.container, Address: p.addr,
			PID: p.cmd.Process.Pid, Serving: p.serving.Load(), Started: p.started})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Pod != list[j].Pod {
			return list[i].Pod < list[j].Pod
		}
		return list[i].Address < list[j].Address
	})
	return list
}

// logFile opens the pod's log file for appending.
func (r *Runner) logFile(key string) (*os.File, error) {
	name := filepath.Join(r.opts.LogDir, sanitize(key)+".log")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open pod log %s: %w", name, err)
	}
	return f, nil
}

// sanitize turns namespace/name into a file name.
func sanitize(key string) string {
	b := []byte(key)
	for i, c := range b {
		if c == '/' {
			b[i] = '_'
		}
	}
	return string(b)
}
