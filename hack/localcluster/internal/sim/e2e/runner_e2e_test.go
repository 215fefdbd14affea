package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestConfigMapAndSecretEnvReachApp: env from a ConfigMap key and from a
// Secret via envFrom reach the app; after the ConfigMap changes and the
// Deployment rolls, the new pods show the new value.
func TestConfigMapAndSecretEnvReachApp(t *testing.T) {
	c := getCluster(t)
	ns := c.namespace(t, "sim-e2e-config-")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "web-config"}, Data: map[string]string{"version": "cm-v5"}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "web-secret"},
		Data: map[string][]byte{"DEMO_MESSAGE": []byte("hello-from-secret")}}
	d := deployment("web", "web", 1, nil, []corev1.EnvVar{{Name: "DEMO_VERSION", ValueFrom: &corev1.EnvVarSource{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"}, Key: "version"},
	}}})
	d.Spec.Template.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: "web-secret"}}}}
	c.create(t, ns, cm, secret, d, service("web", nil, nil))
	c.waitReady(t, ns, "web", 1)
	eventually(t, 30*time.Second, "app shows ConfigMap and Secret values", func() (bool, string) {
		code, body := c.get(t, "web."+ns, "/")
		return code == 200 && versionOf(body) == "cm-v5" && strings.Contains(body, "message=hello-from-secret"),
			fmt.Sprintf("%d %q", code, body)
	})

	cm.Data["version"] = "cm-v6"
	if _, err := c.cs.CoreV1().ConfigMaps(ns).Update(t.Context(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update ConfigMap: %v", err)
	}
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"config-rev":"%d"}}}}}`, time.Now().UnixNano())
	if _, err := c.cs.AppsV1().Deployments(ns).Patch(t.Context(), "web", "application/strategic-merge-patch+json",
		[]byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("roll Deployment: %v", err)
	}
	eventually(t, 60*time.Second, "app shows the changed ConfigMap after the rollout", func() (bool, string) {
		code, body := c.get(t, "web."+ns, "/")
		return code == 200 && versionOf(body) == "cm-v6", fmt.Sprintf("%d %q", code, body)
	})
}

// TestProcessGoneAfterPodDeleted: a pod's demo app serves on its pod IP;
// once the pod is deleted the process has exited and the address is closed.
func TestProcessGoneAfterPodDeleted(t *testing.T) {
	c := getCluster(t)
	ns := c.namespace(t, "sim-e2e-delete-")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "solo", Labels: map[string]string{"app": "solo"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/kship/demoapp:1.0", Env: env("DEMO_VERSION", "solo-1"),
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "admin", ContainerPort: 9090}},
		}}},
	}
	c.create(t, ns, pod)
	procs := c.waitServing(t, ns, 2) // one process per container port
	for _, p := range procs {
		resp, err := http.Get("http://" + p.Address + "/")
		if err != nil {
			t.Fatalf("pod address %s: %v", p.Address, err)
		}
		resp.Body.Close()
		if !processAlive(p.PID) {
			t.Fatalf("process %d for %s is not alive", p.PID, p.Address)
		}
	}
	if err := c.cs.CoreV1().Pods(ns).Delete(t.Context(), "solo", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete pod: %v", err)
	}
	eventually(t, 30*time.Second, "processes gone after pod deletion", func() (bool, string) {
		for _, p := range procs {
			if processAlive(p.PID) {
				return false, fmt.Sprintf("process %d (%s) still alive", p.PID, p.Address)
			}
			if conn, err := net.DialTimeout("tcp", p.Address, time.Second); err == nil {
				conn.Close()
				return false, p.Address + " still accepts connections"
			}
		}
		return len(c.processes(t, ns)) == 0, "podsim still lists processes"
	})
}

// processAlive reports whether a process with that PID exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
