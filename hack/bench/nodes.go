package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/kube"
)

// benchNodes adds simulated nodes (managed by the local environment's KWOK)
// with room for the benchmark's pods; their taint keeps every other pod
// off them, and the benchmark's pods select and tolerate them. The three
// default nodes hold 330 pods, less than one 200-Deployment release.
const benchNodes = 4

const benchLabel = "kship.dev/bench"

func (b *bench) addNodes(ctx context.Context) error {
	c, err := kube.NewForConfig(b.cfg)
	if err != nil {
		return err
	}
	for i := 0; i < benchNodes; i++ {
		n := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("kship-bench-node-%d", i),
				Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
				Labels:      map[string]string{benchLabel: "true", "type": "kwok", "kubernetes.io/os": "linux"}},
			Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: benchLabel, Value: "true", Effect: corev1.TaintEffectNoSchedule}}},
			Status: corev1.NodeStatus{
				Capacity:    benchCapacity(),
				Allocatable: benchCapacity(),
			},
		}
		if _, err := c.Typed.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create node %s: %w", n.Name, err)
		}
		b.nodes = append(b.nodes, n.Name)
	}
	return nil
}

func benchCapacity() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourcePods:   resource.MustParse("600"),
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
	}
}

// deleteNodes removes the benchmark's nodes.
func (b *bench) deleteNodes(ctx context.Context, c *kube.Clients) {
	for _, n := range b.nodes {
		_ = c.Typed.CoreV1().Nodes().Delete(ctx, n, metav1.DeleteOptions{})
	}
}
