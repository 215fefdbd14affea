package canary_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kship/kship/internal/canary"
	"github.com/kship/kship/internal/testenv"
)

// TestE2ECanaryKilledInStabilizeLeavesNoPrevious: a canary run killed
// (SIGKILL) during Stabilize leaves <name>-previous running the previous
// template; the next kship deploy removes it before its first write, and
// so does kship rollback after a second such kill. After each, no previous
// Deployment or pod is left, the app runs the expected image with its pods
// Ready, and the Service's endpoints are only those pods (on the old
// code the previous pods, carrying the Service's labels, served again).
func TestE2ECanaryKilledInStabilizeLeavesNoPrevious(t *testing.T) {
	c := newE2ECanary(t, "canary-kill-")
	bin := testenv.BuildKship(t, c.env.RepoRoot)
	out, ev := c.deploy(c.write("v1", "0", promoteStraight))
	c.expect(out, ev, 0)

	c.killInStabilize(bin, "v2")
	text, code := c.run(bin, "deploy", "-f", c.write("v3", "0", promoteStraight))
	if code != 0 {
		t.Fatalf("deploy after SIGKILL in Stabilize: exit %d:\n%s", code, text)
	}
	c.saysRemoved(text)
	c.settled("app:v3")

	c.killInStabilize(bin, "v4")
	text, code = c.run(bin, "rollback", "app", "-n", c.ns)
	if code != 0 {
		t.Fatalf("rollback after SIGKILL in Stabilize: exit %d:\n%s", code, text)
	}
	c.saysRemoved(text)
	c.settled("app:v3")
}

// killInStabilize starts kship deploy of version with a 10 m stabilize
// window, waits until the run says it watches Stabilize (the previous
// pods are running then), kills it with SIGKILL and checks that it left
// kship's previous Deployment behind.
func (c *e2eCanary) killInStabilize(bin, version string) {
	c.t.Helper()
	c.stabilize = "10m"
	file := c.write(version, "0", promoteStraight)
	c.stabilize = ""
	out := &testenv.SyncBuffer{}
	cmd := exec.Command(bin, "--kubeconfig", c.env.Kubeconfig, "deploy", "-f", file, "--evidence-dir", filepath.Join(c.dir, "evidence"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = cmd.Process.Kill() })
	waitUntil(c.t, 4*time.Minute, func() bool { return strings.Contains(out.String(), "watch for 10m0s") }, func() string { return out.String() })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
	_ = cmd.Wait()
	c.t.Logf("killed kship deploy of %s in Stabilize:\n%s", version, out)
	d, err := c.clients.Typed.AppsV1().Deployments(c.ns).Get(c.t.Context(), canary.PreviousName("app"), metav1.GetOptions{})
	if err != nil || !canary.IsLeftover(d, "app") {
		c.t.Fatalf("SIGKILL in Stabilize left no previous Deployment of kship's: %v", err)
	}
}

// run runs the binary to completion and returns its output and exit code.
func (c *e2eCanary) run(bin string, args ...string) (string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", c.env.Kubeconfig, "--evidence-dir", filepath.Join(c.dir, "evidence")}, args...)...)
	out, err := cmd.CombinedOutput()
	c.t.Logf("kship %s:\n%s", strings.Join(args, " "), out)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		c.t.Fatalf("kship %v: %v", args, err)
	}
	return string(out), 0
}

func (c *e2eCanary) saysRemoved(text string) {
	c.t.Helper()
	if !strings.Contains(text, "removed Deployment "+c.ns+"/app-previous left by an interrupted run") {
		c.t.Errorf("the run does not say it removed the previous Deployment left behind")
	}
}

// settled checks that no previous Deployment or pod is left, the app
// runs image with all its pods Ready, and the Service's endpoints (the Ready
// pods it selects) come to be only those pods (old pods take a while to
// terminate, so it is waited for).
func (c *e2eCanary) settled(image string) {
	c.t.Helper()
	ctx := c.t.Context()
	c.previousGone()
	d, err := c.clients.Typed.AppsV1().Deployments(c.ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	if got := d.Spec.Template.Spec.Containers[0].Image; got != image || d.Status.ReadyReplicas != *d.Spec.Replicas || d.Status.UpdatedReplicas != *d.Spec.Replicas {
		c.t.Errorf("Deployment app: image %s, %d/%d ready, %d updated; want %s, all ready", got, d.Status.ReadyReplicas, *d.Spec.Replicas, d.Status.UpdatedReplicas, image)
	}
	var last string
	ok := poll(ctx, time.Minute, func() bool {
		current := c.currentPods(image)
		serving := c.servingPods()
		last = "current " + strings.Join(current, ",") + "; serving " + strings.Join(serving, ",")
		slices.Sort(current)
		slices.Sort(serving)
		return len(current) == int(*d.Spec.Replicas) && slices.Equal(current, serving)
	})
	if !ok {
		c.t.Errorf("the Service's endpoints are not the current pods of %s: %s", image, last)
	}
}

// currentPods are the Ready pods of the app's Deployment running image.
func (c *e2eCanary) currentPods(image string) []string {
	pods, err := c.clients.Typed.CoreV1().Pods(c.ns).List(c.t.Context(), metav1.ListOptions{LabelSelector: "app=app," + canary.TrackLabel + "=" + canary.TrackStable})
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Spec.Containers[0].Image == image && podReady(p) {
			out = append(out, p.Name)
		}
	}
	return out
}

// servingPods are the Ready pods the live Service app selects: its
// endpoints as the local environment's ingress (and kube-proxy) route to
// them (the environment's EndpointSlices hold no addresses: SIM.md).
func (c *e2eCanary) servingPods() []string {
	ctx := c.t.Context()
	svc, err := c.clients.Typed.CoreV1().Services(c.ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil || len(svc.Spec.Selector) == 0 {
		return nil
	}
	pods, err := c.clients.Typed.CoreV1().Pods(c.ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String()})
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range pods.Items {
		if podReady(p) {
			out = append(out, p.Name)
		}
	}
	return out
}

func podReady(p corev1.Pod) bool {
	for _, cd := range p.Status.Conditions {
		if cd.Type == corev1.PodReady {
			return cd.Status == corev1.ConditionTrue
		}
	}
	return false
}

// poll checks cond every 500 ms until it holds or d has passed.
func poll(ctx context.Context, d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

func waitUntil(t *testing.T, d time.Duration, cond func() bool, what func() string) {
	t.Helper()
	if !poll(t.Context(), d, cond) {
		t.Fatalf("not reached within %s:\n%s", d, what())
	}
}
