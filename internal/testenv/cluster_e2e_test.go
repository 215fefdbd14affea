package testenv_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/testenv"
)

func TestNodesReady(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	nodes, err := cs.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	ready, own := 0, 0
	for _, n := range nodes.Items {
		// Tests may add nodes of their own; the environment's are kwok-node-N.
		if !strings.HasPrefix(n.Name, "kwok-node-") {
			continue
		}
		own++
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready++
			}
		}
		// Realistic capacity: at least a mid-size cloud instance.
		for res, least := range map[corev1.ResourceName]string{corev1.ResourceCPU: "8", corev1.ResourceMemory: "32Gi", corev1.ResourcePods: "110"} {
			if got := n.Status.Allocatable[res]; got.Cmp(resource.MustParse(least)) < 0 {
				t.Errorf("node %s: allocatable %s %s, want at least %s", n.Name, res, got.String(), least)
			}
		}
	}
	if ready != 3 || own != 3 {
		t.Fatalf("%d Ready of %d kwok-node-N nodes, want 3 of 3", ready, own)
	}
	// A node Lease is KWOK's heartbeat; without it the node controller
	// would mark the nodes NotReady after 40 s.
	for _, n := range nodes.Items {
		if !strings.HasPrefix(n.Name, "kwok-node-") {
			continue
		}
		if _, err := cs.CoordinationV1().Leases("kube-node-lease").Get(t.Context(), n.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("node %s: lease: %v", n.Name, err)
		}
	}
}

func TestDeploymentBecomesAvailable(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "e2e-deploy-")
	start := time.Now()
	if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), deployment("web", 3, nil), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Deployment %s/web: %v", ns, err)
	}
	eventually(t, 2*time.Minute, "Deployment web Available", func(ctx context.Context) (bool, string) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return available(d), fmt.Sprintf("status %+v", d.Status)
	})
	t.Logf("Deployment Available after %s", time.Since(start).Round(time.Millisecond))
	pods, err := podsOf(t.Context(), cs, ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 3 {
		t.Fatalf("%d pods, want 3", len(pods))
	}
	nodes := map[string]bool{}
	for _, p := range pods {
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !podCIDR.Contains(ip) {
			t.Errorf("pod %s: IP %q not in %s", p.Name, p.Status.PodIP, podCIDR)
		}
		if !podReady(&p) || p.Status.Phase != corev1.PodRunning {
			t.Errorf("pod %s: phase %s, Ready %v; want Running and Ready", p.Name, p.Status.Phase, podReady(&p))
		}
		nodes[p.Spec.NodeName] = true
	}
	t.Logf("pods spread over %d nodes", len(nodes))
}

// TestRollingUpdateReplacesPods checks what every kship rollout relies on:
// a new pod template rolls out, old pods are deleted gracefully and go away.
func TestRollingUpdateReplacesPods(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "e2e-rollout-")
	d, err := cs.AppsV1().Deployments(ns).Create(t.Context(), deployment("web", 3, nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create Deployment %s/web: %v", ns, err)
	}
	waitAvailable(t, cs, ns, "web")
	d, err = cs.AppsV1().Deployments(ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Image = "registry.example/kship/demoapp:2.0"
	if _, err := cs.AppsV1().Deployments(ns).Update(t.Context(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update Deployment %s/web: %v", ns, err)
	}
	start := time.Now()
	eventually(t, 2*time.Minute, "only v2 pods, all Ready", func(ctx context.Context) (bool, string) {
		pods, err := podsOf(ctx, cs, ns, "web")
		if err != nil {
			return false, err.Error()
		}
		ok := len(pods) == 3
		var seen []string
		for _, p := range pods {
			v2 := p.Spec.Containers[0].Image == "registry.example/kship/demoapp:2.0"
			ok = ok && v2 && podReady(&p) && p.DeletionTimestamp == nil
			seen = append(seen, fmt.Sprintf("%s v2=%v ready=%v deleting=%v", p.Name, v2, podReady(&p), p.DeletionTimestamp != nil))
		}
		return ok, fmt.Sprint(seen)
	})
	t.Logf("rolled out in %s", time.Since(start).Round(time.Millisecond))
}

// waitAvailable waits until Deployment ns/name is Available.
func waitAvailable(t *testing.T, cs kubernetes.Interface, ns, name string) {
	t.Helper()
	eventually(t, 2*time.Minute, "Deployment "+name+" Available", func(ctx context.Context) (bool, string) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return available(d), fmt.Sprintf("status %+v", d.Status)
	})
}
