package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// cluster is the running local environment as these tests use it.
type cluster struct {
	cs      kubernetes.Interface
	ingress string // host:port
	http    *http.Client
}

// getCluster returns the running environment. It fails the test (never
// skips, except under -short) when there is none: run `make cluster-up`.
// KUBECONFIG and KSHIP_INGRESS in the environment win over .localcluster/env.
func getCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e test: skipped with -short")
	}
	vars, err := envVars()
	if err != nil {
		t.Fatalf("local environment unavailable (run make cluster-up): %v", err)
	}
	if vars["KSHIP_INGRESS"] == "" {
		t.Fatalf("local environment has no ingress (KSHIP_INGRESS empty): was bin/podsim built before make cluster-up?")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", vars["KUBECONFIG"])
	if err != nil {
		t.Fatalf("load kubeconfig %q: %v", vars["KUBECONFIG"], err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("client for %s: %v", cfg.Host, err)
	}
	c := &cluster{cs: cs, ingress: vars["KSHIP_INGRESS"],
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}}
	if code, body := c.get(t, "", "/-/ready"); code != http.StatusOK {
		t.Fatalf("ingress %s not ready: %d %s", c.ingress, code, body)
	}
	return c
}

// envVars reads KUBECONFIG and KSHIP_INGRESS from the process environment,
// else from .localcluster/env at the repository root.
func envVars() (map[string]string, error) {
	if os.Getenv("KUBECONFIG") != "" && os.Getenv("KSHIP_INGRESS") != "" {
		return map[string]string{"KUBECONFIG": os.Getenv("KUBECONFIG"), "KSHIP_INGRESS": os.Getenv("KSHIP_INGRESS")}, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "hack", "localcluster", "go.mod")); err == nil {
			break
		}
	}
	f, err := os.Open(filepath.Join(dir, ".localcluster", "env"))
	if err != nil {
		return nil, fmt.Errorf("read env file: %w", err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			vars[k] = strings.Trim(v, `'"`)
		}
	}
	return vars, sc.Err()
}

// get sends GET path through the ingress with the given Host.
func (c *cluster) get(t *testing.T, host, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+c.ingress+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("GET %s (Host %s) through ingress %s: %v", path, host, c.ingress, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// process is one entry of the ingress's /-/pods.
type process struct {
	Pod     string `json:"pod"`
	Address string `json:"address"`
	PID     int    `json:"pid"`
	Serving bool   `json:"serving"`
}

// processes lists podsim's demo-app processes of namespace ns.
func (c *cluster) processes(t *testing.T, ns string) []process {
	t.Helper()
	code, body := c.get(t, "", "/-/pods")
	if code != http.StatusOK {
		t.Fatalf("/-/pods: %d %s", code, body)
	}
	var all, mine []process
	if err := json.Unmarshal([]byte(body), &all); err != nil {
		t.Fatalf("/-/pods: %v", err)
	}
	for _, p := range all {
		if strings.HasPrefix(p.Pod, ns+"/") {
			mine = append(mine, p)
		}
	}
	return mine
}

// namespace creates a fresh namespace, deleted when the test ends.
func (c *cluster) namespace(t *testing.T, prefix string) string {
	t.Helper()
	ns, err := c.cs.CoreV1().Namespaces().Create(t.Context(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
	})
	return ns.Name
}

// eventually calls check every 250 ms until it returns ok or timeout
// passes, then fails the test with check's last message.
func eventually(t *testing.T, timeout time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, msg := check()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not reached after %s: %s", what, timeout, msg)
		case <-tick.C:
		}
	}
}

// deployment is a demo-app Deployment: pods labelled app=<app> and
// track=<name>, one container with port http 8080.
func deployment(name, app string, replicas int32, labels map[string]string, env []corev1.EnvVar) *appsv1.Deployment {
	podLabels := map[string]string{"app": app, "track": name}
	for k, v := range labels {
		podLabels[k] = v
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"track": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "registry.example/kship/demoapp:1.0", Env: env,
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				}}},
			},
		},
	}
}

// service selects app=<app> on port 80 → named port http.
func service(app string, labels, annotations map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: app, Labels: labels, Annotations: annotations},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": app},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
		},
	}
}

// create makes the objects in ns, failing the test on error.
func (c *cluster) create(t *testing.T, ns string, objs ...any) {
	t.Helper()
	ctx := t.Context()
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *appsv1.Deployment:
			_, err = c.cs.AppsV1().Deployments(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Service:
			_, err = c.cs.CoreV1().Services(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.ConfigMap:
			_, err = c.cs.CoreV1().ConfigMaps(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Secret:
			_, err = c.cs.CoreV1().Secrets(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Pod:
			_, err = c.cs.CoreV1().Pods(ns).Create(ctx, o, metav1.CreateOptions{})
		default:
			t.Fatalf("create: unsupported %T", o)
		}
		if err != nil {
			t.Fatalf("create %T in %s: %v", o, ns, err)
		}
	}
}

// waitServing waits until n demo-app processes of ns serve.
func (c *cluster) waitServing(t *testing.T, ns string, n int) []process {
	t.Helper()
	var procs []process
	eventually(t, 60*time.Second, fmt.Sprintf("%d serving processes in %s", n, ns), func() (bool, string) {
		procs = c.processes(t, ns)
		serving := 0
		for _, p := range procs {
			if p.Serving {
				serving++
			}
		}
		return serving == n, fmt.Sprintf("processes %+v", procs)
	})
	return procs
}

// env builds literal env vars from name, value pairs.
func env(kv ...string) []corev1.EnvVar {
	var out []corev1.EnvVar
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, corev1.EnvVar{Name: kv[i], Value: kv[i+1]})
	}
	return out
}
