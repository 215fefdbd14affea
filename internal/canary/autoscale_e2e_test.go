package canary_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
)

// autoscaled is the HorizontalPodAutoscaler and PodDisruptionBudget beside
// the release's Deployment (whose manifest asks for 3 replicas): the
// autoscaler keeps it between 4 and max pods. The local environment has
// no metrics API, so the real HPA controller of kube-controller-manager
// only enforces the bounds: a write of 3 replicas would be scaled back to
// 4 at its next sync (a SuccessfulRescale event), and a write of the
// replicas while it owns them is a field-manager conflict.
func autoscaled(max int) string {
	return fmt.Sprintf(`---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: app}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  minReplicas: 4
  maxReplicas: %d
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: app}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: app, kship.dev/track: stable}}
`, max)
}

// hpaSync is longer than the HPA controller's sync period (15 s): a
// write the autoscaler disagrees with is corrected within it.
const hpaSync = 20 * time.Second

// TestE2ECanaryBesideAnAutoscalerAndABudget: the Deployment has an HPA
// (min 4) and a PDB on stable's track. The plan says kship never writes
// the replicas and that the canary's count comes from stable's live
// count; v2's canary runs at 4 pods beside stable's 4 and is promoted
// (exit 0) with no conflict, stable's replicas never leave 4 and the HPA
// never has to rescale; v3 (30% errors, and a new maxReplicas) is aborted
// at its analysis (exit 3) and leaves the HPA and the Deployment exactly
// as they were.
func TestE2ECanaryBesideAnAutoscalerAndABudget(t *testing.T) {
	c := newE2ECanary(t, "canary-hpa-")
	cs := c.clients.Typed
	c.extra = autoscaled(6)
	out, ev := c.deploy(c.write("v1", "0", oneStep))
	c.expect(out, ev, 0)
	c.waitScaled(4)
	log := testenv.WatchReplicas(t, cs, c.ns)
	rescales := testenv.Rescales(t, cs, c.ns, "app")

	file := c.write("v2", "0", oneStep)
	p, err := release.Prepare(t.Context(), release.PrepareOptions{ReleaseFile: file, ReadHistory: true, Clients: c.clients, EvidenceDir: filepath.Join(c.dir, "evidence"), Catalog: cli.Catalog()})
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(p.Plan.Strategy, "\n")
	for _, want := range []string{
		"step 1: setWeight 50%: Deployment " + c.ns + "/app-canary scaled to 4 pods beside 4 stable pods",
		"autoscaled: HorizontalPodAutoscaler " + c.ns + "/app (min 4, max 6) scales Deployment " + c.ns + "/app, so kship never writes its replicas (the manifest's spec.replicas 3 is left out",
		"each canary count comes from stable's live count (4 now)",
		"disruption budget: PodDisruptionBudget " + c.ns + "/app covers stable's pods only",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	if p.Report.Blocking() {
		t.Fatalf("check blocks: %+v", p.Report.Checks)
	}
	out, ev = c.deploy(file)
	c.expect(out, ev, 0)
	steps := ev.stepsLeft()
	if len(steps) != 1 || steps[0].CanaryPods != 4 || steps[0].StablePods != 4 {
		t.Errorf("steps = %+v, want the canary at 4 pods beside stable's 4", steps)
	}
	noFight(t, ev.text())
	sleep(t, hpaSync)
	if got := log.Of("app"); !slices.Equal(got, []int32{4}) {
		t.Errorf("stable's replicas during and after the canary: %v, want 4 throughout", got)
	}
	if n := testenv.Rescales(t, cs, c.ns, "app"); n != rescales {
		t.Errorf("the HPA rescaled %d times during the canary", n-rescales)
	}

	hpaBefore, stableBefore := c.hpa(), c.stable()
	c.extra = autoscaled(7)
	out, ev = c.deploy(c.write("v3", "0.3", oneStep))
	c.expect(out, ev, 3)
	noFight(t, ev.text())
	sleep(t, hpaSync)
	if after := c.hpa(); after != hpaBefore {
		t.Errorf("the HPA changed through the abort:\nbefore %s\nafter  %s", hpaBefore, after)
	}
	if after := c.stable(); after != stableBefore {
		t.Errorf("stable changed through the abort:\nbefore %s\nafter  %s", stableBefore, after)
	}
	if got := log.Of("app"); !slices.Equal(got, []int32{4}) {
		t.Errorf("stable's replicas through the abort: %v, want 4 throughout", got)
	}
	if n := testenv.Rescales(t, cs, c.ns, "app"); n != rescales {
		t.Errorf("the HPA rescaled %d times during the releases", n-rescales)
	}
	c.canaryGone()
}

// waitScaled waits until the HPA scaled Deployment app to n Available pods.
func (c *e2eCanary) waitScaled(n int32) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		d, err := c.clients.Typed.AppsV1().Deployments(c.ns).Get(ctx, "app", metav1.GetOptions{})
		if err == nil && d.Spec.Replicas != nil && *d.Spec.Replicas == n && d.Status.AvailableReplicas == n && d.Status.UpdatedReplicas == n {
			return
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("Deployment app never had %d Available pods: %v %+v", n, err, d)
		case <-tick.C:
		}
	}
}

// hpa is what identifies the HPA's state: its generation, target and
// bounds.
func (c *e2eCanary) hpa() string {
	c.t.Helper()
	h, err := c.clients.Typed.AutoscalingV2().HorizontalPodAutoscalers(c.ns).Get(c.t.Context(), "app", metav1.GetOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	return fmt.Sprintf("generation %d target %s/%s min %d max %d", h.Generation, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name, *h.Spec.MinReplicas, h.Spec.MaxReplicas)
}

// noFight fails when the run's events name a field-manager conflict.
func noFight(t *testing.T, events string) {
	t.Helper()
	for _, l := range strings.Split(events, "\n") {
		if strings.Contains(strings.ToLower(l), "conflict") && !strings.Contains(l, "0 conflicts") {
			t.Errorf("a conflict in the events: %s", l)
		}
	}
}

func sleep(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-t.Context().Done():
	case <-time.After(d):
	}
}
