// Package podstate answers the questions the pod simulator asks of a pod:
// should its containers be running (the runner's question, in place of a
// kubelet) and may it receive traffic (the ingress's question, in place of
// kube-proxy and EndpointSlices).
package podstate

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
)

// BehaviorLabel is the pod label that chooses a simulated failure; KWOK's
// stages act on it and the runner does not run pods that carry a failing one.
const BehaviorLabel = "sim.kship.dev/behavior"

// failing lists the behaviours whose containers never serve.
var failing = map[string]bool{"crashloop": true, "imagepullbackoff": true, "oomkilled": true}

// Port is one TCP port of one container of a pod.
type Port struct {
	Container string // container name
	Name      string // port name, may be empty
	Number    int32  // containerPort
}

// Runnable reports whether the pod's processes should be running: the pod is
// Running, not terminating, has a loopback pod IP, and is not simulating a
// failure that keeps its containers down. Pods with behaviour "unready" are
// runnable (they run but never become Ready).
func Runnable(pod *corev1.Pod) bool {
	if pod.Status.Phase != corev1.PodRunning || pod.DeletionTimestamp != nil {
		return false
	}
	if failing[pod.Labels[BehaviorLabel]] {
		return false
	}
	return LoopbackIP(pod.Status.PodIP)
}

// ContainerRunning reports whether the named container should serve: its
// status says Running, or the pod reports no status for it (some simulated
// pods only carry a phase).
func ContainerRunning(pod *corev1.Pod, container string) bool {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == container {
			return cs.State.Running != nil
		}
	}
	return true
}

// Ready reports whether the pod may receive Service traffic: Running, not
// terminating, condition Ready true, with a loopback pod IP.
func Ready(pod *corev1.Pod) bool {
	if pod.Status.Phase != corev1.PodRunning || pod.DeletionTimestamp != nil {
		return false
	}
	if !LoopbackIP(pod.Status.PodIP) {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// LoopbackIP reports whether s is a loopback IP address: the simulator only
// binds and routes to those.
func LoopbackIP(s string) bool {
	ip, err := netip.ParseAddr(s)
	return err == nil && ip.IsLoopback()
}

// TCPPorts lists the TCP container ports of the pod's running containers,
// each port number at most once (the first container to declare it wins).
func TCPPorts(pod *corev1.Pod) []Port {
	var ports []Port
	seen := map[int32]bool{}
	for _, c := range pod.Spec.Containers {
		if !ContainerRunning(pod, c.Name) {
			continue
		}
		for _, p := range c.Ports {
			if (p.Protocol != "" && p.Protocol != corev1.ProtocolTCP) || p.ContainerPort <= 0 || seen[p.ContainerPort] {
				continue
			}
			seen[p.ContainerPort] = true
			ports = append(ports, Port{Container: c.Name, Name: p.Name, Number: p.ContainerPort})
		}
	}
	return ports
}

// NamedPort resolves a port name through the pod's container ports, as a
// Service's named targetPort is; ok is false when no container declares it.
func NamedPort(pod *corev1.Pod, name string) (int32, bool) {
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name && (p.Protocol == "" || p.Protocol == corev1.ProtocolTCP) {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}
