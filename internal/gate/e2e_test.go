package gate

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/testenv"
)

// demoApp deploys the demo app as Deployment and Service name, with the
// load generator driving it, answering errorRate of its requests with 500.
func demoApp(t *testing.T, cs kubernetes.Interface, ns, name, errorRate string) {
	t.Helper()
	labels := map[string]string{"app": name, "version": "v1"}
	replicas := int32(2)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "registry.example/kship/demoapp:1.0",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
					Env:   []corev1.EnvVar{{Name: "DEMO_VERSION", Value: "v1"}, {Name: "DEMO_ERROR_RATE", Value: errorRate}},
				}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Deployment %s/%s: %v", ns, name, err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"sim.kship.dev/load": "true"}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
		},
	}
	if _, err := cs.CoreV1().Services(ns).Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Service %s/%s: %v", ns, name, err)
	}
}

// errorRate is the error-rate query of app name in ns: the share of 5xx
// answers, 0 (not "no data") while there are none.
func errorRate(ns, name string) string {
	sel := fmt.Sprintf(`namespace=%q,app=%q`, ns, name)
	return fmt.Sprintf(`(sum(rate(http_requests_total{%s,code=~"5.."}[20s])) or vector(0)) / sum(rate(http_requests_total{%s}[20s]))`, sel, sel)
}

// untilData evaluates g every second until it has data or timeout passes.
func untilData(t *testing.T, e *Evaluator, g config.Gate, timeout time.Duration) Measurement {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	probe := g
	probe.NoData = config.NoDataInconclusive
	for {
		m := (&Evaluator{Q: e.Q}).Evaluate(ctx, []config.Gate{probe}, nil, nil)[0]
		if m.Value != nil {
			return m
		}
		select {
		case <-ctx.Done():
			t.Fatalf("gate %s: no data after %s: %s", g.Name, timeout, m.Message)
		case <-tick.C:
		}
	}
}

func TestE2EErrorRateGateOnRealPrometheus(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "gate-")
	demoApp(t, cs, ns, "bad", "0.3")
	demoApp(t, cs, ns, "good", "0")
	q, err := NewPrometheus(env.Prometheus)
	if err != nil {
		t.Fatal(err)
	}
	e := &Evaluator{Q: q}
	bad := config.Gate{Name: "error-rate", Query: errorRate(ns, "bad"), Max: f(0.05)}
	good := config.Gate{Name: "error-rate-good", Query: errorRate(ns, "good"), Max: f(0.05)}
	untilData(t, e, bad, 90*time.Second)
	untilData(t, e, good, 30*time.Second)
	// Let the rate window fill with the pods' traffic.
	time.Sleep(10 * time.Second)
	ms := e.Evaluate(t.Context(), []config.Gate{bad, good}, nil, nil)
	t.Logf("bad: %s", ms[0].Message)
	t.Logf("good: %s", ms[1].Message)
	if ms[0].Verdict != Fail || ms[0].Value == nil || *ms[0].Value < 0.15 || *ms[0].Value > 0.45 {
		t.Errorf("30%% errors: verdict %s value %v, want fail near 0.3: %s", ms[0].Verdict, ms[0].Value, ms[0].Message)
	}
	if !strings.Contains(ms[0].Message, "> max 0.05: fail") || ms[0].Query != bad.Query || ms[0].Time.IsZero() {
		t.Errorf("measurement does not explain itself: %+v", ms[0])
	}
	if ms[1].Verdict != Pass || ms[1].Value == nil || *ms[1].Value > 0.05 {
		t.Errorf("healthy app: verdict %s value %v, want pass: %s", ms[1].Verdict, ms[1].Value, ms[1].Message)
	}
}

func TestE2EMissingMetricHitsNoDataPolicy(t *testing.T) {
	env := testenv.Get(t)
	q, err := NewPrometheus(env.Prometheus)
	if err != nil {
		t.Fatal(err)
	}
	query := `sum(rate(kship_metric_that_does_not_exist_total[1m]))`
	gates := []config.Gate{
		{Name: "default", Query: query, Max: f(1)},
		{Name: "pass", Query: query, Max: f(1), NoData: config.NoDataPass},
		{Name: "inconclusive", Query: query, Max: f(1), NoData: config.NoDataInconclusive},
	}
	ms := (&Evaluator{Q: q}).Evaluate(t.Context(), gates, nil, nil)
	for i, want := range []Verdict{Fail, Pass, Inconclusive} {
		if ms[i].Verdict != want || !strings.Contains(ms[i].Message, "no data") {
			t.Errorf("%s: %s (%s), want %s", gates[i].Name, ms[i].Verdict, ms[i].Message, want)
		}
	}
}

func TestE2EBadQueryAndUnreachableAreErrors(t *testing.T) {
	env := testenv.Get(t)
	q, err := NewPrometheus(env.Prometheus)
	if err != nil {
		t.Fatal(err)
	}
	m := (&Evaluator{Q: q}).Evaluate(t.Context(), []config.Gate{{Name: "typo", Query: "sum(rate(x[1m]", NoData: config.NoDataPass}}, nil, nil)[0]
	if m.Verdict != Error {
		t.Errorf("a malformed query gave %s: %s", m.Verdict, m.Message)
	}
	down, err := NewPrometheus("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	m = (&Evaluator{Q: down, Timeout: 3 * time.Second}).Evaluate(t.Context(), []config.Gate{{Name: "e", Query: "up", NoData: config.NoDataPass}}, nil, nil)[0]
	if m.Verdict != Error || !strings.Contains(m.Message, "never a pass") {
		t.Errorf("unreachable Prometheus gave %s: %s", m.Verdict, m.Message)
	}
}

func TestE2EMaxIncreaseOverBaselineAfterRollout(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "gate-incr-")
	demoApp(t, cs, ns, "web", "0")
	q, err := NewPrometheus(env.Prometheus)
	if err != nil {
		t.Fatal(err)
	}
	g := config.Gate{Name: "error-rate", Query: errorRate(ns, "web"), MaxIncrease: f(0.05), MinSamples: 2}
	e := &Evaluator{Q: q}
	untilData(t, e, g, 90*time.Second)
	base := e.Baseline(t.Context(), []config.Gate{g})
	if b := base[g.Name]; b.Value == nil || *b.Value > 0.01 {
		t.Fatalf("baseline of a healthy app: %s", b.Message)
	}
	first := e.Evaluate(t.Context(), []config.Gate{g}, base, nil)[0]
	second := e.Evaluate(t.Context(), []config.Gate{g}, base, nil)[0]
	if first.Verdict != Inconclusive || second.Verdict != Pass {
		t.Fatalf("minSamples 2: %s then %s (%s / %s), want inconclusive then pass", first.Verdict, second.Verdict, first.Message, second.Message)
	}
	// Roll out a version that answers 30% errors.
	d, err := cs.AppsV1().Deployments(ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Env[1].Value = "0.3"
	if _, err := cs.AppsV1().Deployments(ns).Update(t.Context(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		m := e.Evaluate(ctx, []config.Gate{g}, base, nil)[0]
		if m.Verdict == Fail {
			t.Logf("after the rollout: %s", m.Message)
			if !strings.Contains(m.Message, "over the baseline") || m.Baseline == nil {
				t.Errorf("the failure does not name the baseline: %s", m.Message)
			}
			return
		}
		if m.Verdict != Pass {
			t.Fatalf("unexpected %s: %s", m.Verdict, m.Message)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the error rate never rose past maxIncrease: %s", m.Message)
		case <-tick.C:
		}
	}
}
