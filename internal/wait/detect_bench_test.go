//go:build bench

package wait_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/testenv"
	"github.com/kship/kship/internal/wait"
)

// TestDetectionLatency measures the failure detector's latency: from the
// first pod status showing the failure, as seen by an independent watch on
// the pods, to kship's abort decision (FailureError.At), over
// KSHIP_BENCH_RUNS runs (default 10) per behaviour, with the restart
// threshold at its minimum (1). It is built only with -tags bench and
// prints p50/p95; with KSHIP_BENCH_KUBECTL=1 it also times kubectl apply +
// kubectl rollout status on the same crash-looping Deployment.
func TestDetectionLatency(t *testing.T) {
	runs := 10
	if n, err := strconv.Atoi(os.Getenv("KSHIP_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	env := testenv.Get(t)
	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	behaviours := []struct{ label, reasons string }{
		{"crashloop", "CrashLoopBackOff"},
		{"imagepullbackoff", "ErrImagePull,ImagePullBackOff"},
	}
	for _, b := range behaviours {
		ns := testenv.Namespace(t, env, "bench-"+b.label+"-")
		var lat, total []time.Duration
		for i := 0; i < runs; i++ {
			d, all, err := detectOnce(t, c, ns, fmt.Sprintf("web-%d", i), b.label, strings.Split(b.reasons, ","))
			if err != nil {
				t.Fatalf("%s run %d: %v", b.label, i, err)
			}
			lat, total = append(lat, d), append(total, all)
		}
		p50, p95 := percentile(lat, 50), percentile(lat, 95)
		fmt.Printf("detection latency %-16s runs=%d p50=%s p95=%s max=%s all=%v\n", b.label, runs, p50, p95, percentile(lat, 100), rounded(lat))
		fmt.Printf("  from the apply of the Deployment to the abort: p50=%s p95=%s (includes the simulated kubelet's delays)\n", percentile(total, 50), percentile(total, 95))
		if p95 > 2*time.Second {
			t.Errorf("%s: p95 detection latency %s above the 2s target", b.label, p95)
		}
	}
	if os.Getenv("KSHIP_BENCH_KUBECTL") == "1" {
		kubectlRollout(t, env)
	}
}

// detectOnce creates one failing Deployment, waits with the detector and
// returns the time from the first failing pod status to the abort, and
// from the apply to the abort.
func detectOnce(t *testing.T, c *kube.Clients, ns, name, behaviour string, reasons []string) (time.Duration, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	seen := make(chan time.Time, 1)
	if err := watchFirstFailure(ctx, c, ns, name, reasons, seen); err != nil {
		return 0, 0, err
	}
	applied := time.Now()
	refs := create(t, c, deployment(ns, name, 1, map[string]string{"sim.kship.dev/behavior": behaviour}, ""))
	w := &wait.Waiter{Clients: c}
	_, err := w.Wait(ctx, refs, wait.Options{Timeout: 50 * time.Second,
		Detector: config.Detector{RestartThreshold: 1, UnschedulableGrace: config.Duration{Duration: time.Second}}})
	var fe *wait.FailureError
	if !errors.As(err, &fe) {
		return 0, 0, fmt.Errorf("want a FailureError, got %v", err)
	}
	select {
	case first := <-seen:
		return fe.At.Sub(first), fe.At.Sub(applied), nil
	case <-ctx.Done():
		return 0, 0, fmt.Errorf("independent watch never saw %v (kship aborted with %s)", reasons, fe.Failure)
	}
}

// watchFirstFailure starts a watch on the Deployment's pods and sends the
// time of the first event whose status shows one of reasons.
func watchFirstFailure(ctx context.Context, c *kube.Clients, ns, app string, reasons []string, seen chan<- time.Time) error {
	w, err := c.Typed.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return err
	}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			at := time.Now()
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			if showsReason(pod, reasons) {
				seen <- at
				return
			}
		}
	}()
	return nil
}

func showsReason(pod *corev1.Pod, reasons []string) bool {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Waiting == nil {
			continue
		}
		for _, r := range reasons {
			if cs.State.Waiting.Reason == r {
				return true
			}
		}
	}
	return false
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := (p*len(s) + 99) / 100
	if rank < 1 {
		rank = 1
	}
	return s[rank-1].Round(10 * time.Microsecond)
}

// kubectlRollout times `kubectl apply` + `kubectl rollout status` on a
// crash-looping Deployment with progressDeadlineSeconds 60.
func kubectlRollout(t *testing.T, env *testenv.Env) {
	ns := testenv.Namespace(t, env, "bench-kubectl-")
	file := filepath.Join(t.TempDir(), "web.yaml")
	doc := deployment(ns, "web", 1, map[string]string{"sim.kship.dev/behavior": "crashloop"}, "\n  progressDeadlineSeconds: 60")
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	kubectl := filepath.Join(env.RepoRoot, "bin", "kubectl")
	start := time.Now()
	out, err := exec.Command(kubectl, "--kubeconfig", env.Kubeconfig, "apply", "-f", file).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	out2, err := exec.Command(kubectl, "--kubeconfig", env.Kubeconfig, "-n", ns, "rollout", "status", "deployment/web", "--timeout=180s").CombinedOutput()
	elapsed := time.Since(start)
	fmt.Printf("kubectl apply + rollout status (progressDeadlineSeconds 60): %s, exit error: %v\n--- output ---\n%s%s--- end ---\n",
		elapsed.Round(time.Millisecond), err, out, out2)
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(10 * time.Microsecond)
	}
	return out
}
