package podstate

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func pod(t *testing.T, y string) *corev1.Pod {
	t.Helper()
	var p corev1.Pod
	if err := yaml.UnmarshalStrict([]byte(y), &p); err != nil {
		t.Fatalf("pod YAML: %v", err)
	}
	return &p
}

func TestRunnableAndReady(t *testing.T) {
	for _, tc := range []struct {
		name            string
		yaml            string
		runnable, ready bool
	}{
		{"running and ready", `status: {phase: Running, podIP: 127.10.0.1, conditions: [{type: Ready, status: "True"}]}`, true, true},
		{"unready behaviour runs", `
metadata: {labels: {sim.kship.dev/behavior: unready}}
status: {phase: Running, podIP: 127.10.0.1, conditions: [{type: Ready, status: "False"}]}`, true, false},
		{"crashloop does not run", `
metadata: {labels: {sim.kship.dev/behavior: crashloop}}
status: {phase: Running, podIP: 127.10.0.1}`, false, false},
		{"oomkilled does not run", `
metadata: {labels: {sim.kship.dev/behavior: oomkilled}}
status: {phase: Running, podIP: 127.10.0.1}`, false, false},
		{"pending", `status: {phase: Pending, podIP: 127.10.0.1}`, false, false},
		{"no IP", `status: {phase: Running, conditions: [{type: Ready, status: "True"}]}`, false, false},
		{"not loopback", `status: {phase: Running, podIP: 10.0.0.1, conditions: [{type: Ready, status: "True"}]}`, false, false},
		{"terminating", `
metadata: {deletionTimestamp: "2026-01-01T00:00:00Z"}
status: {phase: Running, podIP: 127.10.0.1, conditions: [{type: Ready, status: "True"}]}`, false, false},
	} {
		p := pod(t, tc.yaml)
		if got := Runnable(p); got != tc.runnable {
			t.Errorf("%s: Runnable = %t, want %t", tc.name, got, tc.runnable)
		}
		if got := Ready(p); got != tc.ready {
			t.Errorf("%s: Ready = %t, want %t", tc.name, got, tc.ready)
		}
	}
}

func TestTCPPorts(t *testing.T) {
	p := pod(t, `
spec:
  containers:
  - name: app
    image: x
    ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}, {containerPort: 9090, protocol: TCP}]
  - name: sidecar
    image: x
    ports: [{containerPort: 8080}, {name: side, containerPort: 7070}]
  - name: waiting
    image: x
    ports: [{containerPort: 6060}]
status:
  containerStatuses:
  - {name: app, state: {running: {}}}
  - {name: waiting, state: {waiting: {reason: CrashLoopBackOff}}}`)
	want := []Port{{"app", "http", 8080}, {"app", "", 9090}, {"sidecar", "side", 7070}}
	if got := TCPPorts(p); !slices.Equal(got, want) {
		t.Fatalf("TCPPorts = %v, want %v", got, want)
	}
	if n, ok := NamedPort(p, "side"); !ok || n != 7070 {
		t.Errorf("NamedPort(side) = %d, %t", n, ok)
	}
	if _, ok := NamedPort(p, "dns"); ok {
		t.Error("NamedPort resolved a UDP port")
	}
}
