package ingress

import (
	"net"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Target is the Service a request's Host names.
type Target struct {
	Service   string
	Namespace string
	Port      string // the Host's port, if any: chooses a Service port by number or name
}

// ParseHost reads a Host header of the form
//
//	<service>.<namespace>[.<any suffix>][:<port>]
//
// so "web.shop", "web.shop:8080", "web.shop.svc.cluster.local" and
// "web.shop.example" all name Service web in namespace shop. The suffix is
// ignored; it lets URLs look like the ones users know. ok is false when the
// Host does not start with two DNS labels (an IP address, a bare name).
func ParseHost(host string) (Target, bool) {
	name, port := host, ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		name, port = h, p
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if net.ParseIP(name) != nil {
		return Target{}, false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return Target{}, false
	}
	svc, ns := labels[0], labels[1]
	if len(validation.IsDNS1035Label(svc)) > 0 || len(validation.IsDNS1123Label(ns)) > 0 {
		return Target{}, false
	}
	return Target{Service: svc, Namespace: ns, Port: port}, true
}
