// Package promsd serves the pods of a cluster as Prometheus HTTP service
// discovery targets (http_sd_configs), labelled exactly as Prometheus'
// kubernetes_sd_configs (role pod) labels them, so a scrape config written
// for kubernetes_sd works unchanged. It exists because Debian's prometheus
// package is built without the Kubernetes service discovery.
package promsd

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// TargetGroup is one entry of the HTTP SD response.
type TargetGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// Handler answers GET /targets with every pod's target groups and
// GET /-/ready with 200 once Synced reports true.
type Handler struct {
	Pods   corelisters.PodLister
	Synced func() bool
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/-/ready":
		if !h.Synced() {
			http.Error(w, "pod informer not synced", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	case "/targets":
		pods, err := h.Pods.List(labels.Everything())
		if err != nil {
			http.Error(w, "list pods: "+err.Error(), http.StatusInternalServerError)
			return
		}
		sort.Slice(pods, func(i, j int) bool {
			return pods[i].Namespace+"/"+pods[i].Name < pods[j].Namespace+"/"+pods[j].Name
		})
		groups := []TargetGroup{}
		for _, p := range pods {
			groups = append(groups, Groups(p)...)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(groups)
	default:
		http.NotFound(w, r)
	}
}

// Groups returns the targets of one pod as kubernetes_sd (role pod) would:
// one per container port, or one per container without ports, addressed
// at the pod IP. Pods without an IP have none.
func Groups(p *corev1.Pod) []TargetGroup {
	if p.Status.PodIP == "" {
		return nil
	}
	base := podLabels(p)
	var out []TargetGroup
	add := func(c corev1.Container, init bool, port *corev1.ContainerPort) {
		l := map[string]string{}
		for k, v := range base {
			l[k] = v
		}
		l["__meta_kubernetes_pod_container_name"] = c.Name
		l["__meta_kubernetes_pod_container_image"] = c.Image
		l["__meta_kubernetes_pod_container_init"] = strconv.FormatBool(init)
		addr := p.Status.PodIP
		if port != nil {
			addr += ":" + strconv.Itoa(int(port.ContainerPort))
			l["__meta_kubernetes_pod_container_port_name"] = port.Name
			l["__meta_kubernetes_pod_container_port_number"] = strconv.Itoa(int(port.ContainerPort))
			l["__meta_kubernetes_pod_container_port_protocol"] = string(protocol(port.Protocol))
		}
		out = append(out, TargetGroup{Targets: []string{addr}, Labels: l})
	}
	for _, c := range p.Spec.Containers {
		if len(c.Ports) == 0 {
			add(c, false, nil)
		}
		for i := range c.Ports {
			add(c, false, &c.Ports[i])
		}
	}
	return out
}

func protocol(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

var invalidLabelChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// sanitize turns a Kubernetes label or annotation key into a Prometheus
// label name suffix, as Prometheus does.
func sanitize(s string) string { return invalidLabelChars.ReplaceAllString(s, "_") }

// podLabels returns the pod-level __meta_kubernetes_* labels.
func podLabels(p *corev1.Pod) map[string]string {
	l := map[string]string{
		"__meta_kubernetes_namespace":     p.Namespace,
		"__meta_kubernetes_pod_name":      p.Name,
		"__meta_kubernetes_pod_ip":        p.Status.PodIP,
		"__meta_kubernetes_pod_uid":       string(p.UID),
		"__meta_kubernetes_pod_node_name": p.Spec.NodeName,
		"__meta_kubernetes_pod_host_ip":   p.Status.HostIP,
		"__meta_kubernetes_pod_phase":     string(p.Status.Phase),
		"__meta_kubernetes_pod_ready":     ready(p),
	}
	for _, ref := range p.OwnerReferences {
		if ref.Controller != nil && *ref.Controller {
			l["__meta_kubernetes_pod_controller_kind"] = ref.Kind
			l["__meta_kubernetes_pod_controller_name"] = ref.Name
		}
	}
	for k, v := range p.Labels {
		l["__meta_kubernetes_pod_label_"+sanitize(k)] = v
		l["__meta_kubernetes_pod_labelpresent_"+sanitize(k)] = "true"
	}
	for k, v := range p.Annotations {
		l["__meta_kubernetes_pod_annotation_"+sanitize(k)] = v
		l["__meta_kubernetes_pod_annotationpresent_"+sanitize(k)] = "true"
	}
	return l
}

func ready(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return map[corev1.ConditionStatus]string{corev1.ConditionTrue: "true", corev1.ConditionFalse: "false"}[c.Status]
		}
	}
	return "unknown"
}
