package cluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// zones spread the simulated nodes over three zones, so topology spread
// constraints mean something.
var zones = []string{"zone-a", "zone-b", "zone-c"}

// createNodes registers opts.Nodes nodes for KWOK to manage, each with
// 8 CPUs, 32Gi of memory and room for 110 pods. Existing nodes are kept.
func createNodes(ctx context.Context, e *env) error {
	cs, err := e.clientset()
	if err != nil {
		return err
	}
	for i := range e.opts.Nodes {
		node := simulatedNode(fmt.Sprintf("kwok-node-%d", i+1), zones[i%len(zones)])
		_, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create Node %s: %w", node.Name, err)
		}
	}
	return nil
}

// simulatedNode returns a Node object the way a kubelet would register it.
func simulatedNode(name, zone string) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("8"),
		corev1.ResourceMemory:           resource.MustParse("32Gi"),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{kwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname":           name,
				"kubernetes.io/os":                 "linux",
				"kubernetes.io/arch":               "amd64",
				"type":                             "kwok",
				"topology.kubernetes.io/zone":      zone,
				"node.kubernetes.io/instance-type": "sim-8cpu-32gi",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
}
