package ingress

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kship/kship/hack/localcluster/internal/sim/podstate"
)

// Endpoint is one Ready pod address that a Service's traffic may go to.
type Endpoint struct {
	Pod  string // namespace/name
	IP   string
	Port int32
}

// Address is the endpoint's IP:PORT.
func (e Endpoint) Address() string {
	return e.IP + ":" + strconv.Itoa(int(e.Port))
}

// ServicePort chooses the Service port a request goes to: the one whose
// number or name is hostPort, else the first (so a Host without a port, or
// with the ingress's own port, reaches the Service's main port).
func ServicePort(svc *corev1.Service, hostPort string) (corev1.ServicePort, error) {
	if len(svc.Spec.Ports) == 0 {
		return corev1.ServicePort{}, fmt.Errorf("service %s/%s has no ports", svc.Namespace, svc.Name)
	}
	for _, p := range svc.Spec.Ports {
		if hostPort != "" && (hostPort == p.Name || hostPort == strconv.Itoa(int(p.Port))) {
			return p, nil
		}
	}
	return svc.Spec.Ports[0], nil
}

// Endpoints lists, sorted by pod name, the addresses of the Ready pods
// among pods for the Service port sp, as kube-proxy would see them in the
// Service's EndpointSlices. A named targetPort is resolved through each
// pod's container ports (pods without it are left out). serving, when not
// nil, further keeps only addresses that accept connections.
func Endpoints(sp corev1.ServicePort, pods []*corev1.Pod, serving func(ip string, port int32) bool) []Endpoint {
	var eps []Endpoint
	for _, pod := range pods {
		if !podstate.Ready(pod) {
			continue
		}
		port, ok := targetPort(sp, pod)
		if !ok || (serving != nil && !serving(pod.Status.PodIP, port)) {
			continue
		}
		eps = append(eps, Endpoint{Pod: pod.Namespace + "/" + pod.Name, IP: pod.Status.PodIP, Port: port})
	}
	slices.SortFunc(eps, func(a, b Endpoint) int { return cmp.Compare(a.Pod, b.Pod) })
	return eps
}

// targetPort resolves the Service port's targetPort for one pod.
func targetPort(sp corev1.ServicePort, pod *corev1.Pod) (int32, bool) {
	switch {
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		return podstate.NamedPort(pod, sp.TargetPort.StrVal)
	case sp.TargetPort.IntVal > 0:
		return sp.TargetPort.IntVal, true
	default:
		return sp.Port, true
	}
}

// Pick chooses the endpoint for request number n of a Service: round-robin,
// so each Ready pod gets an equal share, as kube-proxy gives (a canary with
// 1 of 4 Ready pods gets a quarter of the requests).
func Pick(eps []Endpoint, n uint64) Endpoint {
	return eps[n%uint64(len(eps))]
}
