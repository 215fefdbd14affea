package ingress

import (
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// pod parses a pod written as YAML.
func pod(t *testing.T, y string) *corev1.Pod {
	t.Helper()
	var p corev1.Pod
	if err := yaml.UnmarshalStrict([]byte(y), &p); err != nil {
		t.Fatalf("pod YAML: %v", err)
	}
	return &p
}

func readyPod(t *testing.T, name, ip string) *corev1.Pod {
	return pod(t, fmt.Sprintf(`
metadata: {name: %s, namespace: shop, labels: {app: web}}
spec: {containers: [{name: app, image: demo, ports: [{name: http, containerPort: 8080}]}]}
status: {phase: Running, podIP: %s, conditions: [{type: Ready, status: "True"}]}`, name, ip))
}

func TestEndpointsKeepsOnlyReadyServingPods(t *testing.T) {
	terminating := readyPod(t, "web-d", "127.10.0.4")
	terminating.DeletionTimestamp = &metav1.Time{}
	pods := []*corev1.Pod{
		readyPod(t, "web-b", "127.10.0.2"),
		readyPod(t, "web-a", "127.10.0.1"),
		pod(t, `
metadata: {name: web-c, namespace: shop}
status: {phase: Running, podIP: 127.10.0.3, conditions: [{type: Ready, status: "False"}]}`),
		terminating,
		readyPod(t, "web-e", "10.0.0.5"),   // not loopback: never routed
		readyPod(t, "web-f", "127.10.0.6"), // not serving yet
	}
	serving := func(ip string, _ int32) bool { return ip != "127.10.0.6" }
	sp := corev1.ServicePort{Port: 80}
	sp.TargetPort.IntVal = 8080
	got := Endpoints(sp, pods, serving)
	want := []Endpoint{{"shop/web-a", "127.10.0.1", 8080}, {"shop/web-b", "127.10.0.2", 8080}}
	if !slices.Equal(got, want) {
		t.Fatalf("Endpoints = %v, want %v", got, want)
	}
}

func TestTargetPortResolution(t *testing.T) {
	p := readyPod(t, "web-a", "127.10.0.1")
	for name, tc := range map[string]struct {
		yaml string
		want []Endpoint
	}{
		"number":          {"{port: 80, targetPort: 9000}", []Endpoint{{"shop/web-a", "127.10.0.1", 9000}}},
		"named":           {"{port: 80, targetPort: http}", []Endpoint{{"shop/web-a", "127.10.0.1", 8080}}},
		"default is port": {"{port: 8080}", []Endpoint{{"shop/web-a", "127.10.0.1", 8080}}},
		"unknown name":    {"{port: 80, targetPort: grpc}", nil},
	} {
		var sp corev1.ServicePort
		if err := yaml.UnmarshalStrict([]byte(tc.yaml), &sp); err != nil {
			t.Fatal(err)
		}
		if got := Endpoints(sp, []*corev1.Pod{p}, nil); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Endpoints = %v, want %v", name, got, tc.want)
		}
	}
}

func TestServicePort(t *testing.T) {
	var svc corev1.Service
	if err := yaml.UnmarshalStrict([]byte(`
metadata: {name: web, namespace: shop}
spec: {ports: [{name: http, port: 80}, {name: admin, port: 9090}]}`), &svc); err != nil {
		t.Fatal(err)
	}
	for hostPort, want := range map[string]int32{"": 80, "9090": 9090, "admin": 9090, "http": 80, "31234": 80} {
		got, err := ServicePort(&svc, hostPort)
		if err != nil || got.Port != want {
			t.Errorf("ServicePort(%q) = %d, %v; want %d", hostPort, got.Port, err, want)
		}
	}
	svc.Spec.Ports = nil
	if _, err := ServicePort(&svc, ""); err == nil {
		t.Error("ServicePort of a Service without ports: no error")
	}
}

func TestPickSplitsEvenlyPerPod(t *testing.T) {
	eps := []Endpoint{{Pod: "v1-a"}, {Pod: "v1-b"}, {Pod: "v1-c"}, {Pod: "v2-a"}}
	counts := map[string]int{}
	for n := range uint64(400) {
		counts[Pick(eps, n).Pod]++
	}
	for _, ep := range eps {
		if counts[ep.Pod] != 100 {
			t.Errorf("pod %s got %d of 400 requests, want 100", ep.Pod, counts[ep.Pod])
		}
	}
}
