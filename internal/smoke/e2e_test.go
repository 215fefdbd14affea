package smoke

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/testenv"
)

// demoApp deploys the demo app as Deployment and Service name with env and
// waits until the Deployment is Available.
func demoApp(t *testing.T, cs kubernetes.Interface, ns, name string, env ...corev1.EnvVar) {
	t.Helper()
	replicas := int32(2)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "registry.example/kship/demoapp:1.0",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
					Env:   append([]corev1.EnvVar{{Name: "DEMO_VERSION", Value: "v7"}}, env...),
				}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Deployment %s/%s: %v", ns, name, err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
		},
	}
	if _, err := cs.CoreV1().Services(ns).Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Service %s/%s: %v", ns, name, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && got.Status.AvailableReplicas == replicas && got.Status.UpdatedReplicas == replicas {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Deployment %s/%s not Available: %v %+v", ns, name, err, got.Status)
		case <-tick.C:
		}
	}
}

func TestE2EHTTPThroughIngress(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "smoke-http-")
	demoApp(t, cs, ns, "web")
	demoApp(t, cs, ns, "sick", corev1.EnvVar{Name: "DEMO_HEALTH_FAIL", Value: "true"})
	t.Setenv("KSHIP_INGRESS", env.Ingress)
	checks := []config.SmokeCheck{
		{Name: "health", Retries: 5, Backoff: config.Duration{Duration: 500 * time.Millisecond},
			HTTP: &config.HTTPCheck{URL: "http://${KSHIP_INGRESS}/healthz", Headers: map[string]string{"Host": "web." + ns}}},
		{Name: "version", Retries: 5, Backoff: config.Duration{Duration: 500 * time.Millisecond},
			HTTP: &config.HTTPCheck{URL: "http://${KSHIP_INGRESS}/", Headers: map[string]string{"Host": "web." + ns}, BodyRegex: `v7\b`}},
		{Name: "sick-health", Retries: 1, Backoff: config.Duration{Duration: 200 * time.Millisecond},
			HTTP: &config.HTTPCheck{URL: "http://${KSHIP_INGRESS}/healthz", Headers: map[string]string{"Host": "sick." + ns}}},
	}
	res := (&Runner{}).Run(t.Context(), ns, checks, nil)
	for _, r := range res {
		t.Logf("%s: passed=%v %s", r.Name, r.Passed, r.Message)
	}
	if !res[0].Passed || res[0].Status != 200 {
		t.Errorf("health through the ingress failed: %s", res[0].Message)
	}
	if !res[1].Passed {
		t.Errorf("version body check failed: %s", res[1].Message)
	}
	if res[2].Passed || res[2].Status != 503 || res[2].Attempts != 2 || !strings.Contains(res[2].Message, "got 503") {
		t.Errorf("failing health check: %+v", res[2])
	}
}

func TestE2EJobChecks(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "smoke-job-")
	r := &Runner{Typed: cs}
	checks := []config.SmokeCheck{
		{Name: "ok", Job: &config.JobCheck{Image: "registry.example/kship/smoke:1", Command: []string{"/smoke"}, Args: []string{"--fast"}}},
		{Name: "broken", Retries: 1, Backoff: config.Duration{Duration: 100 * time.Millisecond},
			Job: &config.JobCheck{Image: "registry.example/kship/smoke:1", Labels: map[string]string{"sim.kship.dev/behavior": "fail"}}},
	}
	start := time.Now()
	res := r.Run(t.Context(), ns, checks, nil)
	for _, r := range res {
		t.Logf("%s: passed=%v exit=%v logs=%q %s", r.Name, r.Passed, deref(r.ExitCode), r.LogTail, r.Message)
	}
	t.Logf("both checks took %s", time.Since(start).Round(time.Millisecond))
	if !res[0].Passed || res[0].ExitCode == nil || *res[0].ExitCode != 0 {
		t.Errorf("succeeding Job: %+v", res[0])
	}
	if res[1].Passed || res[1].ExitCode == nil || *res[1].ExitCode != 1 || res[1].Attempts != 2 {
		t.Errorf("failing Job: %+v", res[1])
	}
	if !strings.Contains(res[1].Message, "expected exit code 0; got Job") || !strings.Contains(res[1].Message, "exit code 1") {
		t.Errorf("failing Job message %q", res[1].Message)
	}
	for _, r := range res {
		if r.LogTail == "" {
			t.Errorf("%s: no log tail and no word on why", r.Name)
		}
	}
	// Every Job is deleted after its check.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		jobs, err := cs.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelSmoke})
		if err == nil && len(jobs.Items) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("smoke Jobs left behind: %v %v", jobNames(jobs), err)
		case <-tick.C:
		}
	}
}

func TestE2EJobTimeout(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "smoke-jobto-")
	check := config.SmokeCheck{Name: "stuck", Timeout: config.Duration{Duration: 4 * time.Second},
		Job: &config.JobCheck{Image: "registry.example/kship/missing:1", Labels: map[string]string{"sim.kship.dev/behavior": "imagepullbackoff"}}}
	start := time.Now()
	res := (&Runner{Typed: cs}).Run(t.Context(), ns, []config.SmokeCheck{check}, nil)[0]
	t.Logf("%s (after %s)", res.Message, time.Since(start).Round(time.Millisecond))
	if res.Passed || !strings.Contains(res.Message, "did not finish within the per-try timeout of 4s") {
		t.Errorf("stuck Job: %s", res.Message)
	}
	if !strings.Contains(res.Message, "ImagePull") && !strings.Contains(res.Message, "ErrImagePull") {
		t.Errorf("the message does not say what the pod waits for: %s", res.Message)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %s with a 4s per-try timeout", d)
	}
}

func jobNames(l *batchv1.JobList) []string {
	var names []string
	if l != nil {
		for _, j := range l.Items {
			names = append(names, j.Name)
		}
	}
	return names
}

func deref(p *int) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
