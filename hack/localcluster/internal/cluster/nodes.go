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
// 32 CPUs, 128Gi of memory and room for 250 pods (a large cloud instance:
// the 200-Deployment benchmark needs 400 pods, more during an update).
// Existing nodes are kept, with their capacity brought up to date.
func createNodes(ctx context.Context, e *env) error {
	cs, err := e.clientset()
	if err != nil {
		return err
	}
	for i := range e.opts.Nodes {
		node := simulatedNode(fmt.Sprintf("kwok-node-%d", i+1), zones[i%len(zones)])
		_, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			err = refreshCapacity(ctx, e, node)
		}
		if err != nil {
			return fmt.Errorf("create Node %s: %w", node.Name, err)
		}
	}
	return nil
}

// refreshCapacity gives an existing node the capacity of want, so an
// environment started by an older harness gets the current node size.
func refreshCapacity(ctx context.Context, e *env, want *corev1.Node) error {
	cs, err := e.clientset()
	if err != nil {
		return err
	}
	live, err := cs.CoreV1().Nodes().Get(ctx, want.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if live.Status.Capacity.Pods().Equal(*want.Status.Capacity.Pods()) {
		return nil
	}
	live.Status.Capacity = want.Status.Capacity
	live.Status.Allocatable = want.Status.Allocatable
	_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, live, metav1.UpdateOptions{})
	return err
}

// simulatedNode returns a Node object the way a kubelet would register it.
func simulatedNode(name, zone string) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("32"),
		corev1.ResourceMemory:           resource.MustParse("128Gi"),
		corev1.ResourcePods:             resource.MustParse("250"),
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
				"node.kubernetes.io/instance-type": "sim-32cpu-128gi",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
}
