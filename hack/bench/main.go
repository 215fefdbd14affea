// Command bench measures `kship deploy` of one release of N Deployments
// (2 replicas each, plus a ConfigMap and a Service each), first install and
// an image update, against the controller-bound floor: the time a passive
// watcher sees until the last Deployment is Available when the same objects
// are applied by a plain server-side-apply loop. It prints kship's wall time,
// the API requests kship made (counted by a wrapping RoundTripper), and the
// real binary's peak RSS for the same change.
//
// The Services are headless (clusterIP: None): the local cluster's service
// range is a /24, too small for several hundred ClusterIPs at once.
//
//	source .localcluster/env && go run ./hack/bench -n 200 -kship bin/kship
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
)

func main() {
	n := flag.Int("n", 200, "number of Deployments")
	bin := flag.String("kship", "bin/kship", "kship binary for the peak-RSS run (empty: skip it)")
	workers := flag.Int("floor-workers", 16, "concurrency of the plain SSA loop of the floor")
	flag.Parse()
	if err := run(*n, *bin, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n int, bin string, workers int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	if err != nil {
		return fmt.Errorf("kubeconfig (source .localcluster/env): %w", err)
	}
	b := &bench{n: n, workers: workers, cfg: cfg, dir: mustTemp()}
	defer os.RemoveAll(b.dir)
	defer b.cleanup()
	if err := b.addNodes(ctx); err != nil {
		return err
	}
	fmt.Printf("bench: %d Deployments x 2 replicas + %d ConfigMaps + %d Services (%d objects)\n", n, n, n, 3*n)
	// The two sides run with the same background: the floor's install on an
	// empty cluster, then its namespace is deleted before kship's install;
	// for the update, each side runs while the other's release is present.
	floorInstall, err := b.floor(ctx, "bench:v1")
	if err != nil {
		return fmt.Errorf("floor install: %w", err)
	}
	if err := b.dropFloor(ctx); err != nil {
		return err
	}
	kInstall, err := b.kship(ctx, "bench:v1")
	if err != nil {
		return fmt.Errorf("kship install: %w", err)
	}
	report("install", workers, floorInstall, kInstall)
	if _, err := b.floor(ctx, "bench:v1"); err != nil {
		return fmt.Errorf("floor re-install: %w", err)
	}
	floorUpdate, err := b.floor(ctx, "bench:v2")
	if err != nil {
		return fmt.Errorf("floor update: %w", err)
	}
	kUpdate, err := b.kship(ctx, "bench:v2")
	if err != nil {
		return fmt.Errorf("kship update: %w", err)
	}
	report("image update", workers, floorUpdate, kUpdate)
	if bin != "" {
		return b.rss(ctx, bin)
	}
	return nil
}

// report prints one step's figures.
func report(step string, workers int, floor time.Duration, k kshipResult) {
	fmt.Printf("%-12s floor (SSA loop x%d + passive watcher): %6.1fs | kship deploy: %6.1fs = %.2fx floor (%s) | kship API requests: %d (%s) | exit %d\n",
		step, workers, floor.Seconds(), k.wall.Seconds(), k.wall.Seconds()/floor.Seconds(), k.stages, k.requests, k.verbs, k.exit)
}

// dropFloor deletes the floor's namespace and waits until it is gone.
func (b *bench) dropFloor(ctx context.Context) error {
	c, err := kube.NewForConfig(b.cfg)
	if err != nil {
		return err
	}
	ns := b.floorNS
	b.floorNS = ""
	if err := c.Typed.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("delete namespace %s: %w", ns, err)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if _, err := c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// bench holds the state of one benchmark run.
type bench struct {
	n, workers int
	cfg        *rest.Config
	dir        string
	floorNS    string
	kshipNS    string
	nss        []string
	nodes      []string
}

func mustTemp() string {
	d, err := os.MkdirTemp("", "kship-bench-")
	if err != nil {
		panic(err)
	}
	return d
}

// namespace creates a namespace for one side of the benchmark.
func (b *bench) namespace(ctx context.Context, prefix string) (string, error) {
	c, err := kube.NewForConfig(b.cfg)
	if err != nil {
		return "", err
	}
	name := prefix + rand.String(5)
	_, err = c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err == nil {
		b.nss = append(b.nss, name)
	}
	return name, err
}

// cleanup deletes the benchmark's namespaces.
func (b *bench) cleanup() {
	c, err := kube.NewForConfig(b.cfg)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, ns := range b.nss {
		_ = c.Typed.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	}
	b.deleteNodes(ctx, c)
}

// manifests renders the release's objects for an image.
func manifests(n int, image string) string {
	var s strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&s, `---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-%[1]d}
data: {index: "%[1]d"}
---
apiVersion: v1
kind: Service
metadata: {name: app-%[1]d}
spec: {clusterIP: None, selector: {app: app-%[1]d}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app-%[1]d}
spec:
  replicas: 2
  selector: {matchLabels: {app: app-%[1]d}}
  template:
    metadata: {labels: {app: app-%[1]d}}
    spec:
      nodeSelector: {kship.dev/bench: "true"}
      tolerations: [{key: kship.dev/bench, operator: Exists, effect: NoSchedule}]
      containers:
        - name: app
          image: %[2]q
          envFrom: [{configMapRef: {name: app-%[1]d}}]
          resources: {requests: {cpu: 1m, memory: 4Mi}}
`, i, image)
	}
	return s.String()
}

// releaseFile writes the release folder for an image and returns kship.yaml.
func (b *bench) releaseFile(ns, image string) (string, error) {
	dir := filepath.Join(b.dir, ns+"-"+strings.ReplaceAll(image, ":", "-"))
	if err := os.MkdirAll(filepath.Join(dir, "manifests"), 0o755); err != nil {
		return "", err
	}
	rel := fmt.Sprintf("apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: bench}\nspec:\n  namespace: %s\n  source: {path: ./manifests}\n  verify: {rolloutTimeout: 15m}\n", ns)
	if err := os.WriteFile(filepath.Join(dir, "kship.yaml"), []byte(rel), 0o644); err != nil {
		return "", err
	}
	return filepath.Join(dir, "kship.yaml"), os.WriteFile(filepath.Join(dir, "manifests", "app.yaml"), []byte(manifests(b.n, image)), 0o644)
}

// kshipResult is one in-process kship deploy.
type kshipResult struct {
	wall     time.Duration
	requests int
	verbs    string
	exit     int
	stages   string
}

// kship runs release.Deploy in-process with a counting transport.
func (b *bench) kship(ctx context.Context, image string) (kshipResult, error) {
	if b.kshipNS == "" {
		ns, err := b.namespace(ctx, "bench-kship-")
		if err != nil {
			return kshipResult{}, err
		}
		b.kshipNS = ns
	}
	file, err := b.releaseFile(b.kshipNS, image)
	if err != nil {
		return kshipResult{}, err
	}
	cnt := &counter{byVerb: map[string]int{}}
	cfg := rest.CopyConfig(b.cfg)
	cfg.WrapTransport = cnt.wrap
	clients, err := kube.NewForConfig(cfg)
	if err != nil {
		return kshipResult{}, err
	}
	st := &stageTimes{}
	start := time.Now()
	out, err := release.Deploy(ctx, release.DeployOptions{ReleaseFile: file, RunOptions: release.RunOptions{Clients: clients, EvidenceDir: filepath.Join(b.dir, "evidence"), Sink: st}})
	wall := time.Since(start)
	if err != nil {
		return kshipResult{}, err
	}
	if out.ExitCode != 0 && out.ExitCode != 5 {
		return kshipResult{}, fmt.Errorf("kship deploy ended %s: %s (%s)", out.Verdict, out.Summary, out.Trigger)
	}
	total, verbs := cnt.take()
	return kshipResult{wall: wall, requests: total, verbs: verbs, exit: out.ExitCode, stages: st.String()}, nil
}

// counter counts HTTP requests by verb (a watch counts as WATCH, a
// dry-run as its verb plus "-dryrun").
type counter struct {
	mu     sync.Mutex
	byVerb map[string]int
	total  int
}

func (c *counter) wrap(rt http.RoundTripper) http.RoundTripper {
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		verb := r.Method
		q := r.URL.Query()
		if q.Get("watch") == "true" || q.Get("watch") == "1" {
			verb = "WATCH"
		}
		if q.Get("dryRun") != "" {
			verb += "-dryrun"
		}
		c.mu.Lock()
		c.byVerb[verb]++
		c.total++
		c.mu.Unlock()
		return rt.RoundTrip(r)
	})
}

func (c *counter) take() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts := make([]string, 0, len(c.byVerb))
	for v, n := range c.byVerb {
		parts = append(parts, fmt.Sprintf("%s=%d", v, n))
	}
	sort.Strings(parts)
	n := c.total
	c.total, c.byVerb = 0, map[string]int{}
	return n, strings.Join(parts, " ")
}

// stageTimes is an event.Sink keeping when each stage started and ended.
type stageTimes struct {
	mu    sync.Mutex
	start map[event.Stage]time.Time
	dur   map[event.Stage]time.Duration
	order []event.Stage
}

// Emit records stage boundaries.
func (s *stageTimes) Emit(e event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.start == nil {
		s.start, s.dur = map[event.Stage]time.Time{}, map[event.Stage]time.Duration{}
	}
	switch e.Type {
	case event.TypeStageStarted:
		s.start[e.Stage] = e.Time
	case event.TypeStageFinished:
		if t, ok := s.start[e.Stage]; ok {
			s.dur[e.Stage] = e.Time.Sub(t)
			s.order = append(s.order, e.Stage)
		}
	}
}

func (s *stageTimes) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := make([]string, 0, len(s.order))
	for _, st := range s.order {
		parts = append(parts, fmt.Sprintf("%s %.1fs", st, s.dur[st].Seconds()))
	}
	return strings.Join(parts, ", ")
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// rss runs the real binary for the same install and update in a fresh
// namespace and reports its wall time and peak RSS (getrusage ru_maxrss of
// the child, the same figure as VmHWM and /usr/bin/time -v).
func (b *bench) rss(ctx context.Context, bin string) error {
	ns, err := b.namespace(ctx, "bench-rss-")
	if err != nil {
		return err
	}
	for _, img := range []string{"bench:v1", "bench:v2"} {
		file, err := b.releaseFile(ns, img)
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, bin, "deploy", "-f", file, "--evidence-dir", filepath.Join(b.dir, "evidence-rss"))
		cmd.Env = os.Environ()
		start := time.Now()
		out, err := cmd.CombinedOutput()
		wall := time.Since(start)
		code := cmd.ProcessState.ExitCode()
		if err != nil && code != 5 {
			return fmt.Errorf("%s deploy %s: exit %d: %v\n%s", bin, img, code, err, tail(out))
		}
		ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		fmt.Printf("binary %-9s %s deploy: %6.1fs, exit %d, peak RSS %.1f MiB\n", img, bin, wall.Seconds(), code, float64(ru.Maxrss)/1024)
	}
	return nil
}

func tail(b []byte) string {
	s := string(b)
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}
