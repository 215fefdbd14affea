package bluegreen_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
)

// autoscaler is a HorizontalPodAutoscaler of the release's Deployment
// (whose manifest asks for 3 replicas): between 4 and max pods. Without a
// metrics API the real HPA controller only enforces the bounds, so a
// color written with 3 replicas under it would be rescaled to 4 at its
// next sync, and a write of replicas it owns is a field-manager conflict.
func autoscaler(max int) string {
	return fmt.Sprintf(`---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: app}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  minReplicas: 4
  maxReplicas: %d
`, max)
}

// hpaSync is longer than the HPA controller's sync period (15 s).
const hpaSync = 20 * time.Second

// TestE2EBlueGreenBesideAnAutoscaler: the Deployment has an HPA (min 4
// over the manifest's 3). The first release (blue) is scaled by it; the
// plan of v2 says green starts at blue's live count and the autoscaler
// is retargeted at the switch; v2 switches (exit 0) with no conflict,
// blue and green each at 4 replicas throughout, the HPA on blue until the
// switch and on green after it, never rescaling. v3 (30% errors, and a
// new maxReplicas) fails its preview (exit 3) and leaves the HPA and green
// exactly as they were.
func TestE2EBlueGreenBesideAnAutoscaler(t *testing.T) {
	b := newE2E(t, "bg-hpa-")
	cs := b.clients.Typed
	b.extra = autoscaler(6)
	out, ev := b.deploy(b.write("v1", "0", "BlueGreen", allGates))
	b.expect(out, ev, 0)
	b.waitScaled("app-blue", 4)
	log := testenv.WatchReplicas(t, cs, b.ns)
	targets := b.watchTarget()
	rescales := testenv.Rescales(t, cs, b.ns, "app")

	file := b.write("v2", "0", "BlueGreen", allGates)
	p, err := release.Prepare(t.Context(), release.PrepareOptions{ReleaseFile: file, ReadHistory: true, Clients: b.clients, EvidenceDir: filepath.Join(b.dir, "evidence"), Catalog: cli.Catalog()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Report.Blocking() {
		t.Fatalf("check blocks: %+v", p.Report.Checks)
	}
	plan := strings.Join(p.Plan.Strategy, "\n")
	for _, want := range []string{
		"autoscaled: HorizontalPodAutoscaler " + b.ns + "/app (min 4, max 6) scales Deployment " + b.ns + "/app-blue until the switch, kship never writes the replicas it owns",
		"Deployment " + b.ns + "/app-green starts at the live color's count, 4 now",
		"the switch retargets the autoscaler at Deployment " + b.ns + "/app-green in the same write as the selector",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	out, ev = b.deploy(file)
	b.expect(out, ev, 0)
	noFight(t, ev.text())
	sleep(t, hpaSync)
	for _, color := range []string{"app-blue", "app-green"} {
		if got := log.Of(color); !slices.Equal(got, []int32{4}) {
			t.Errorf("%s's replicas during the release: %v, want 4 throughout", color, got)
		}
	}
	if got := targets(); !slices.Equal(got, []string{"app-blue", "app-green"}) {
		t.Errorf("the HPA scaled %v, want app-blue, then app-green", got)
	}
	if sw, _ := ev.switches(); len(sw) != 1 {
		t.Errorf("switches %+v", sw)
	}
	if n := testenv.Rescales(t, cs, b.ns, "app"); n != rescales {
		t.Errorf("the HPA rescaled %d times during the release", n-rescales)
	}

	hpaBefore, greenBefore := b.hpa(), b.generationOf("app-green")
	b.extra = autoscaler(7)
	out, ev = b.deploy(b.write("v3", "0.3", "BlueGreen", allGates))
	b.expect(out, ev, 3)
	noFight(t, ev.text())
	sleep(t, hpaSync)
	if after := b.hpa(); after != hpaBefore {
		t.Errorf("the HPA changed through the abort:\nbefore %s\nafter  %s", hpaBefore, after)
	}
	if after := b.generationOf("app-green"); after != greenBefore {
		t.Errorf("app-green changed through the abort:\nbefore %s\nafter  %s", greenBefore, after)
	}
	if got := log.Of("app-green"); !slices.Equal(got, []int32{4}) {
		t.Errorf("app-green's replicas through the abort: %v, want 4 throughout", got)
	}
	if got := targets(); !slices.Equal(got, []string{"app-blue", "app-green"}) {
		t.Errorf("the HPA scaled %v through the abort, want app-green throughout", got)
	}
	if n := testenv.Rescales(t, cs, b.ns, "app"); n != rescales {
		t.Errorf("the HPA rescaled %d times during the releases", n-rescales)
	}
}

// waitScaled waits until Deployment name has n Available pods at n
// replicas.
func (b *e2eBG) waitScaled(name string, n int32) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.t.Context(), 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		d, err := b.clients.Typed.AppsV1().Deployments(b.ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && d.Spec.Replicas != nil && *d.Spec.Replicas == n && d.Status.AvailableReplicas == n && d.Status.UpdatedReplicas == n {
			return
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("Deployment %s never had %d Available pods: %v", name, n, err)
		case <-tick.C:
		}
	}
}

// watchTarget records each Deployment the HPA app scales from now on.
func (b *e2eBG) watchTarget() func() []string {
	b.t.Helper()
	ctx, cancel := context.WithCancel(b.t.Context())
	b.t.Cleanup(cancel)
	hpas := b.clients.Typed.AutoscalingV2().HorizontalPodAutoscalers(b.ns)
	list, err := hpas.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=app"})
	if err != nil || len(list.Items) != 1 {
		b.t.Fatalf("HorizontalPodAutoscaler app: %v %v", err, list)
	}
	var mu sync.Mutex
	seen := []string{list.Items[0].Spec.ScaleTargetRef.Name}
	rv := list.ResourceVersion
	go func() {
		for ctx.Err() == nil {
			w, err := hpas.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=app", ResourceVersion: rv})
			if err != nil {
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
				continue
			}
			for e := range w.ResultChan() {
				h, ok := e.Object.(*autoscalingv2.HorizontalPodAutoscaler)
				if !ok {
					continue
				}
				rv = h.ResourceVersion
				mu.Lock()
				if name := h.Spec.ScaleTargetRef.Name; seen[len(seen)-1] != name {
					seen = append(seen, name)
				}
				mu.Unlock()
			}
			w.Stop()
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// hpa is the HPA's generation, target and bounds.
func (b *e2eBG) hpa() string {
	b.t.Helper()
	h, err := b.clients.Typed.AutoscalingV2().HorizontalPodAutoscalers(b.ns).Get(b.t.Context(), "app", metav1.GetOptions{})
	if err != nil {
		b.t.Fatal(err)
	}
	return fmt.Sprintf("generation %d target %s/%s min %d max %d", h.Generation, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name, *h.Spec.MinReplicas, h.Spec.MaxReplicas)
}

// generationOf is a Deployment's generation, image and replicas.
func (b *e2eBG) generationOf(name string) string {
	b.t.Helper()
	d, err := b.clients.Typed.AppsV1().Deployments(b.ns).Get(b.t.Context(), name, metav1.GetOptions{})
	if err != nil {
		b.t.Fatal(err)
	}
	return fmt.Sprintf("generation %d %s", d.Generation, b.deployment(name))
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
