package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// demoApp is the real demoapp binary, built once for these tests.
var demoApp string

func TestMain(m *testing.M) {
	if addr := os.Getenv("RUNNER_TEST_HELPER_ADDR"); addr != "" {
		helperParent(addr) // never returns
	}
	dir, err := os.MkdirTemp("", "runner-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	demoApp = filepath.Join(dir, "demoapp")
	if out, err := exec.Command("go", "build", "-o", demoApp, "../../../cmd/demoapp").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build demoapp: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort finds a free TCP port on ip.
func freePort(t *testing.T, ip string) int32 {
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return int32(ln.Addr().(*net.TCPAddr).Port)
}

// newTestRunner returns a runner over an informer store the test fills; it
// is never started, the test calls reconcile itself.
func newTestRunner(t *testing.T) (*Runner, cache.Indexer) {
	pods := cache.NewSharedIndexInformer(&cache.ListWatch{}, &corev1.Pod{}, 0,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	r, err := New(Options{Pods: pods, DemoApp: demoApp, LogDir: t.TempDir(), Grace: 2 * time.Second,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stopAll)
	return r, pods.GetIndexer()
}

func runningPod(ip string, port int32, uid string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", UID: types.UID(uid)},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Env: []corev1.EnvVar{{Name: "DEMO_VERSION", Value: "v-" + uid}},
			Ports: []corev1.ContainerPort{{ContainerPort: port}},
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	}
}

// waitServing waits up to 10 s for the runner to serve ip:port.
func waitServing(t *testing.T, r *Runner, ip string, port int32) {
	t.Helper()
	if !until(10*time.Second, func() bool { return r.Serving(ip, port) }) {
		t.Fatalf("%s:%d not serving after 10s (processes %+v)", ip, port, r.Processes())
	}
}

// until checks cond every 20 ms until it holds (true) or limit passes.
func until(limit time.Duration, cond func() bool) bool {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
		}
	}
	return true
}

func body(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("GET %s: %v", addr, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestRunnerStartsReplacesAndStopsProcesses(t *testing.T) {
	r, store := newTestRunner(t)
	ctx := context.Background()
	ip := "127.99.0.1"
	port := freePort(t, ip)
	addr := fmt.Sprintf("%s:%d", ip, port)

	pod := runningPod(ip, port, "a")
	store.Add(pod)
	if err := r.reconcile(ctx, "shop/web-1"); err != nil {
		t.Fatal(err)
	}
	waitServing(t, r, ip, port)
	if b := body(t, addr); !strings.Contains(b, "version=v-a pod=web-1 ip="+ip) {
		t.Fatalf("app answered %q", b)
	}
	first := r.Processes()
	if len(first) != 1 {
		t.Fatalf("processes %+v, want one", first)
	}
	if err := r.reconcile(ctx, "shop/web-1"); err != nil { // nothing changed: same process
		t.Fatal(err)
	}
	if again := r.Processes(); len(again) != 1 || again[0].PID != first[0].PID {
		t.Fatalf("reconcile of an unchanged pod replaced its process: %+v → %+v", first, again)
	}

	store.Update(runningPod(ip, port, "b")) // recreated pod, same name and IP
	if err := r.reconcile(ctx, "shop/web-1"); err != nil {
		t.Fatal(err)
	}
	waitServing(t, r, ip, port)
	if b := body(t, addr); !strings.Contains(b, "version=v-b") {
		t.Fatalf("after recreation the app answered %q, want v-b", b)
	}

	store.Delete(pod)
	if err := r.reconcile(ctx, "shop/web-1"); err != nil {
		t.Fatal(err)
	}
	if !until(5*time.Second, func() bool { return len(r.Processes()) == 0 && !dialable(addr) }) {
		t.Fatalf("process still there 5s after pod deletion: %+v", r.Processes())
	}
}

func TestRunnerSkipsPodsThatMustNotRun(t *testing.T) {
	r, store := newTestRunner(t)
	ip := "127.99.0.2"
	port := freePort(t, ip)
	for name, mutate := range map[string]func(*corev1.Pod){
		"pending":   func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending },
		"crashloop": func(p *corev1.Pod) { p.Labels = map[string]string{"sim.kship.dev/behavior": "crashloop"} },
		"container waiting": func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
		},
		"not loopback": func(p *corev1.Pod) { p.Status.PodIP = "10.1.2.3" },
		"terminating":  func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: time.Now()} },
	} {
		pod := runningPod(ip, port, "x")
		mutate(pod)
		store.Update(pod)
		if err := r.reconcile(context.Background(), "shop/web-1"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if procs := r.Processes(); len(procs) != 0 {
			t.Errorf("%s: runner started %+v", name, procs)
		}
	}
}

func dialable(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		conn.Close()
	}
	return err == nil
}

// TestRunStopsEveryProcessWhenItsContextEnds is what podsim does on SIGTERM.
func TestRunStopsEveryProcessWhenItsContextEnds(t *testing.T) {
	r, store := newTestRunner(t)
	ip := "127.99.0.3"
	var pids []int
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	for i := range 3 {
		pod := runningPod(ip, freePort(t, ip), fmt.Sprint(i))
		pod.Name = fmt.Sprintf("web-%d", i)
		store.Add(pod)
		r.queue.Add("shop/" + pod.Name)
		waitServing(t, r, ip, pod.Spec.Containers[0].Ports[0].ContainerPort)
	}
	for _, p := range r.Processes() {
		pids = append(pids, p.PID)
	}
	if len(pids) != 3 {
		t.Fatalf("processes %+v, want 3", r.Processes())
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10s after its context ended")
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still exists after Run returned (kill 0: %v)", pid, err)
		}
	}
}

// helperParent plays podsim for TestProcessDiesWithKilledParent: it starts
// one demo app, prints its PID and waits to be killed.
func helperParent(addr string) {
	p, err := startProc(procSpec{key: "shop/web", addr: addr, binary: os.Getenv("RUNNER_TEST_DEMOAPP"), log: os.Stderr},
		func(*proc) {})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(p.cmd.Process.Pid)
	select {}
}

// TestProcessDiesWithKilledParent: when podsim is killed with SIGKILL (no
// chance to clean up), its demo apps die with it.
func TestProcessDiesWithKilledParent(t *testing.T) {
	ip := "127.99.0.4"
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("RUNNER_TEST_HELPER_ADDR=%s:%d", ip, freePort(t, ip)),
		"RUNNER_TEST_DEMOAPP="+demoApp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Fscan(out, &pid); err != nil {
		t.Fatalf("read child PID from helper: %v", err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("demo app %d not running: %v", pid, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if !until(5*time.Second, func() bool { return syscall.Kill(pid, 0) != nil }) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("demo app %d still alive 5s after its parent was killed", pid)
	}
}
