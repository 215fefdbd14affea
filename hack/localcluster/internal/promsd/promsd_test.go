package promsd

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

func webPod() *corev1.Pod {
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-1", Namespace: "shop", UID: "u1",
			Labels:          map[string]string{"app": "web", "app.kubernetes.io/version": "v2"},
			Annotations:     map[string]string{"prometheus.io/scrape": "true"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-7d", Controller: &yes}},
		},
		Spec: corev1.PodSpec{NodeName: "kwok-node-1", Containers: []corev1.Container{
			{Name: "app", Image: "demo:2", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "admin", ContainerPort: 9000}}},
			{Name: "sidecar", Image: "proxy:1"},
		}},
		Status: corev1.PodStatus{PodIP: "127.10.0.9", Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
}

func TestGroupsLabelLikeKubernetesSD(t *testing.T) {
	groups := Groups(webPod())
	if len(groups) != 3 {
		t.Fatalf("%d target groups, want 3 (two ports, one port-less container): %+v", len(groups), groups)
	}
	web := groups[0]
	if web.Targets[0] != "127.10.0.9:8080" {
		t.Errorf("target %v, want 127.10.0.9:8080", web.Targets)
	}
	want := map[string]string{
		"__meta_kubernetes_namespace":                           "shop",
		"__meta_kubernetes_pod_name":                            "web-1",
		"__meta_kubernetes_pod_phase":                           "Running",
		"__meta_kubernetes_pod_ready":                           "true",
		"__meta_kubernetes_pod_label_app":                       "web",
		"__meta_kubernetes_pod_label_app_kubernetes_io_version": "v2",
		"__meta_kubernetes_pod_labelpresent_app":                "true",
		"__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
		"__meta_kubernetes_pod_container_name":                  "app",
		"__meta_kubernetes_pod_container_port_name":             "http",
		"__meta_kubernetes_pod_container_port_number":           "8080",
		"__meta_kubernetes_pod_container_port_protocol":         "TCP",
		"__meta_kubernetes_pod_controller_kind":                 "ReplicaSet",
		"__meta_kubernetes_pod_node_name":                       "kwok-node-1",
	}
	for k, v := range want {
		if web.Labels[k] != v {
			t.Errorf("%s = %q, want %q", k, web.Labels[k], v)
		}
	}
	sidecar := groups[2]
	if sidecar.Targets[0] != "127.10.0.9" || sidecar.Labels["__meta_kubernetes_pod_container_port_name"] != "" {
		t.Errorf("port-less container: %+v, want the bare pod IP and no port labels", sidecar)
	}
}

func TestPodWithoutIPHasNoTargets(t *testing.T) {
	p := webPod()
	p.Status.PodIP = ""
	if g := Groups(p); len(g) != 0 {
		t.Errorf("Groups = %+v, want none", g)
	}
}

func TestHandlerServesTargetsAndReadiness(t *testing.T) {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	_ = idx.Add(webPod())
	synced := false
	srv := httptest.NewServer(&Handler{Pods: corelisters.NewPodLister(idx), Synced: func() bool { return synced }})
	defer srv.Close()
	if res, _ := http.Get(srv.URL + "/-/ready"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/-/ready before sync: %d, want 503", res.StatusCode)
	}
	synced = true
	if res, _ := http.Get(srv.URL + "/-/ready"); res.StatusCode != http.StatusOK {
		t.Errorf("/-/ready after sync: %d, want 200", res.StatusCode)
	}
	res, err := http.Get(srv.URL + "/targets")
	if err != nil {
		t.Fatal(err)
	}
	var groups []TargetGroup
	if err := json.NewDecoder(res.Body).Decode(&groups); err != nil {
		t.Fatalf("decode /targets: %v", err)
	}
	if len(groups) != 3 {
		t.Errorf("/targets: %d groups, want 3", len(groups))
	}
}
