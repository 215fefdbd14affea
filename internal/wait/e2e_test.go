package wait_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/status"
	"github.com/kship/kship/internal/testenv"
	"github.com/kship/kship/internal/wait"
)

// recorder is an event.Sink that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) Emit(e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) of(t event.Type) []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event.Event
	for _, e := range r.events {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

// setup returns clients for the local cluster and a fresh namespace.
func setup(t *testing.T, prefix string) (*kube.Clients, string) {
	t.Helper()
	env := testenv.Get(t)
	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	return c, testenv.Namespace(t, env, prefix)
}

// deployment renders a Deployment of the demo app with extra pod-template
// labels and spec fields.
func deployment(ns, name string, replicas int, labels map[string]string, spec string) string {
	var l strings.Builder
	for k, v := range labels {
		fmt.Fprintf(&l, "\n        %s: %q", k, v)
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: %s}
spec:
  replicas: %d
  selector: {matchLabels: {app: %s}}%s
  template:
    metadata:
      labels:
        app: %s%s
    spec:
      containers:
      - name: app
        image: demo:v1
`, name, ns, replicas, name, spec, name, l.String())
}

// create applies YAML documents with server-side apply and returns their refs.
func create(t *testing.T, c *kube.Clients, docs ...string) []manifest.Ref {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var refs []manifest.Ref
	for _, d := range docs {
		objs, err := manifest.Decode("test.yaml", []byte(d))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			gvk := o.GVK()
			m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				t.Fatal(err)
			}
			data, err := o.Obj.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			force := true
			_, err = c.Dynamic.Resource(m.Resource).Namespace(o.Obj.GetNamespace()).Patch(ctx, o.Obj.GetName(),
				types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "test", Force: &force})
			if err != nil {
				t.Fatalf("create %s: %v", o.Ref(), err)
			}
			refs = append(refs, o.Ref())
		}
	}
	return refs
}

func TestWaitHealthyDeployment(t *testing.T) {
	c, ns := setup(t, "wait-ok-")
	refs := create(t, c, deployment(ns, "web", 2, nil, ""),
		fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: %s}\ndata: {a: b}\n", ns))
	rec := &recorder{}
	w := &wait.Waiter{Clients: c, Sink: rec}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := w.Wait(ctx, refs, wait.Options{Timeout: 45 * time.Second})
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	for _, o := range res.Objects {
		if o.Status != status.Current {
			t.Errorf("%s: %s after a successful wait", o.Ref, o.Result)
		}
	}
	if len(rec.of(event.TypeStatus)) < 2 {
		t.Errorf("want status transitions, got %v", rec.of(event.TypeStatus))
	}
	t.Logf("ready in %s", res.Duration)
}

// failureCase is a Deployment the detector must abort on, with the reason.
type failureCase struct {
	name      string
	behavior  string
	spec      string // extra Deployment spec
	podSpec   string
	extra     []string // other objects, %s = namespace
	detector  config.Detector
	timeout   time.Duration
	reason    string
	message   string // substring of the failure message
	wantPod   bool
	container string
	kubeEvent string // reason of a Warning Event that must be emitted
}

func TestWaitAbortsOnFailure(t *testing.T) {
	cases := []failureCase{
		{name: "crashloop", behavior: "crashloop", reason: "CrashLoopBackOff", wantPod: true, container: "app", kubeEvent: "BackOff", message: "restarted 2 times"},
		{name: "imagepullbackoff", behavior: "imagepullbackoff", reason: "ErrImagePull", wantPod: true, container: "app", message: "not found"},
		{name: "oomkilled", behavior: "oomkilled", spec: "\n  minReadySeconds: 10", reason: "OOMKilled", wantPod: true, container: "app", message: "OOMKilled (exit code 137)"},
		{
			name: "unschedulable", podSpec: "      nodeSelector: {kship.dev/no-such-node: \"true\"}\n",
			detector: config.Detector{UnschedulableGrace: config.Duration{Duration: 2 * time.Second}},
			reason:   "Unschedulable", wantPod: true, message: "didn't match Pod's node affinity/selector",
		},
		{
			name:     "quota",
			extra:    []string{"apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: no-pods, namespace: %s}\nspec: {hard: {pods: \"0\"}}\n"},
			detector: config.Detector{UnschedulableGrace: config.Duration{Duration: 2 * time.Second}},
			reason:   "FailedCreate", message: "exceeded quota",
		},
		{
			name: "progressdeadline", behavior: "unready", spec: "\n  progressDeadlineSeconds: 5",
			reason: "ProgressDeadlineExceeded", message: "no progress for 5s",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runFailureCase(t, tc)
		})
	}
}

func runFailureCase(t *testing.T, tc failureCase) {
	c, ns := setup(t, "wait-"+tc.name+"-")
	var docs []string
	for _, e := range tc.extra {
		docs = append(docs, strings.ReplaceAll(e, "%s", ns))
	}
	labels := map[string]string{}
	if tc.behavior != "" {
		labels["sim.kship.dev/behavior"] = tc.behavior
	}
	docs = append(docs, deployment(ns, "web", 2, labels, tc.spec)+tc.podSpec)
	if len(tc.extra) > 0 {
		// The quota must be enforced before the Deployment's pods are created.
		create(t, c, docs[:len(docs)-1]...)
		docs = docs[len(docs)-1:]
	}
	refs := create(t, c, docs...)
	rec := &recorder{}
	w := &wait.Waiter{Clients: c, Sink: rec}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	timeout := tc.timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	start := time.Now()
	_, err := w.Wait(ctx, refs, wait.Options{Timeout: timeout, Detector: tc.detector})
	var fe *wait.FailureError
	if !errors.As(err, &fe) {
		t.Fatalf("Wait = %v, want a FailureError %s", err, tc.reason)
	}
	t.Logf("aborted after %s: %v", time.Since(start).Round(time.Millisecond), err)
	web := manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: ns, Name: "web"}
	if fe.Reason != tc.reason || fe.Object != web {
		t.Errorf("failure = %s, want reason %s on %s", fe.Failure, tc.reason, web)
	}
	if tc.wantPod && (!strings.HasPrefix(fe.Pod, "web-") || fe.Container != tc.container) {
		t.Errorf("failure does not name the pod and container: %+v", fe.Failure)
	}
	if !strings.Contains(fe.Message, tc.message) {
		t.Errorf("message %q does not contain %q", fe.Message, tc.message)
	}
	if got := rec.of(event.TypeFailure); len(got) != 1 {
		t.Errorf("want one detector.failure event, got %d", len(got))
	}
	if tc.kubeEvent != "" && !hasKubeEvent(rec, tc.kubeEvent) {
		t.Errorf("no kube.event with reason %s among %+v", tc.kubeEvent, rec.of(event.TypeKubeEvent))
	}
}

func hasKubeEvent(rec *recorder, reason string) bool {
	for _, e := range rec.of(event.TypeKubeEvent) {
		if ke, ok := e.Data.(event.KubeEvent); ok && ke.Reason == reason {
			return true
		}
	}
	return false
}

func TestWaitTimeoutNamesPendingObjects(t *testing.T) {
	c, ns := setup(t, "wait-timeout-")
	refs := create(t, c, deployment(ns, "web", 2, map[string]string{"sim.kship.dev/behavior": "unready"}, ""))
	waitPods(t, c, ns, "app=web", 2, corev1.PodRunning) // so the hint below does not depend on the cluster's speed
	rec := &recorder{}
	w := &wait.Waiter{Clients: c, Sink: rec}
	start := time.Now()
	_, err := w.Wait(context.Background(), refs, wait.Options{Timeout: 6 * time.Second})
	var te *wait.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Wait = %v, want a TimeoutError", err)
	}
	if d := time.Since(start); d < 6*time.Second || d > 9*time.Second {
		t.Errorf("timed out after %s, want about 6s", d)
	}
	t.Logf("error: %v", err)
	msg := err.Error()
	for _, want := range []string{"rollout timed out after 6s", "Deployment " + ns + "/web", "InProgress", "2 new pods not Ready", "containers with unready status: [app"} {
		if !strings.Contains(msg, want) {
			t.Errorf("timeout error %q does not say %q", msg, want)
		}
	}
	if f := rec.of(event.TypeFailure); len(f) != 1 || !strings.Contains(f[0].Message, "RolloutTimeout") {
		t.Errorf("want one RolloutTimeout failure event, got %+v", f)
	}
}

// TestWaitIgnoresOldPods: a Deployment whose previous revision crash-loops
// is fixed; the old pods being scaled down must not abort the new rollout.
func TestWaitIgnoresOldPods(t *testing.T) {
	c, ns := setup(t, "wait-oldpods-")
	create(t, c, deployment(ns, "web", 2, map[string]string{"sim.kship.dev/behavior": "crashloop"}, ""))
	// Let the old pods reach CrashLoopBackOff with restarts before the fix.
	cs := c.Typed
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		pods, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			t.Fatal(err)
		}
		crashing := 0
		for _, p := range pods.Items {
			for _, s := range p.Status.ContainerStatuses {
				if s.RestartCount >= 2 {
					crashing++
				}
			}
		}
		if crashing > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("old pods never crash-looped")
		}
		<-tick.C
	}
	refs := create(t, c, deployment(ns, "web", 2, map[string]string{"sim.kship.dev/behavior": "ready"}, ""))
	w := &wait.Waiter{Clients: c}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := w.Wait(ctx, refs, wait.Options{Timeout: 45 * time.Second}); err != nil {
		t.Fatalf("Wait on the fixed Deployment: %v", err)
	}
}

// TestWatchDetectsLateFailure: Watch (the Stabilize detector) reports a
// failure that appears after the rollout was Current.
func TestWatchDetectsLateFailure(t *testing.T) {
	c, ns := setup(t, "wait-watch-")
	refs := create(t, c, deployment(ns, "web", 1, map[string]string{"sim.kship.dev/behavior": "oomkilled"}, ""))
	w := &wait.Waiter{Clients: c}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := w.Wait(ctx, refs, wait.Options{Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("Wait: %v (the OOM-killed pod is Ready between kills)", err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 40*time.Second)
	defer wcancel()
	select {
	case f, ok := <-w.Watch(wctx, refs, wait.Options{}).Failures:
		if !ok {
			t.Fatal("Watch ended without a failure")
		}
		if f.Reason != "OOMKilled" || f.Container != "app" {
			t.Errorf("failure = %s", f)
		}
	case <-wctx.Done():
		t.Fatal("Watch found no failure")
	}
}

// TestWaitReportsMissingPermission: a deployer allowed to watch
// Deployments but not pods gets an error at once, not a silent timeout.
func TestWaitReportsMissingPermission(t *testing.T) {
	env := testenv.Get(t)
	admin, ns := setup(t, "wait-rbac-")
	refs := create(t, admin, deployment(ns, "web", 1, nil, ""))
	create(t, admin, fmt.Sprintf(`apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: %[1]s}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployments-only, namespace: %[1]s}
rules:
- {apiGroups: [apps], resources: [deployments, replicasets], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [events], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer, namespace: %[1]s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployments-only}
subjects: [{kind: ServiceAccount, name: deployer, namespace: %[1]s}]
`, ns))
	tok, err := admin.Typed.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), "deployer", &authv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(env.RESTConfig)
	cfg.BearerToken = tok.Status.Token
	c, err := kube.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Mapper = admin.Mapper // discovery is allowed to every authenticated user; reuse the admin's cache
	w := &wait.Waiter{Clients: c}
	start := time.Now()
	_, err = w.Wait(context.Background(), refs, wait.Options{Timeout: 30 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "cannot watch pods") || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("Wait without permission to watch pods = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s to report the missing permission", d)
	}
	t.Logf("error: %v", err)
}

// TestWaitDetectsOtherWorkloads: the detector follows the pods of
// StatefulSets, DaemonSets and Jobs, not only Deployments.
func TestWaitDetectsOtherWorkloads(t *testing.T) {
	cases := []struct{ kind, doc, reason string }{
		{"StatefulSet", `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: %[1]s}
spec:
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db, sim.kship.dev/behavior: crashloop}}
    spec: {containers: [{name: db, image: "demo:v1"}]}
`, "CrashLoopBackOff"},
		{"DaemonSet", `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: %[1]s}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent, sim.kship.dev/behavior: imagepullbackoff}}
    spec: {containers: [{name: agent, image: "agent:nope"}]}
`, "ErrImagePull"},
		{"Job", `apiVersion: batch/v1
kind: Job
metadata: {name: report, namespace: %[1]s}
spec:
  template:
    metadata: {labels: {sim.kship.dev/behavior: imagepullbackoff}}
    spec: {restartPolicy: Never, containers: [{name: report, image: "report:nope"}]}
`, "ErrImagePull"},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			c, ns := setup(t, "wait-"+strings.ToLower(tc.kind)+"-")
			refs := create(t, c, fmt.Sprintf(tc.doc, ns))
			w := &wait.Waiter{Clients: c}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			_, err := w.Wait(ctx, refs, wait.Options{Timeout: 45 * time.Second, Detector: config.Detector{RestartThreshold: 1}})
			var fe *wait.FailureError
			if !errors.As(err, &fe) {
				t.Fatalf("Wait = %v, want a FailureError", err)
			}
			if fe.Reason != tc.reason || fe.Object != refs[0] || fe.Pod == "" {
				t.Errorf("failure = %s, want %s on %s", fe.Failure, tc.reason, refs[0])
			}
		})
	}
}

// waitPods waits (a test helper, up to 60s) until n pods matching selector
// are in phase.
func waitPods(t *testing.T, c *kube.Clients, ns, selector string, n int, phase corev1.PodPhase) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		pods, err := c.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, p := range pods.Items {
			if p.Status.Phase == phase {
				got++
			}
		}
		if got >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d pods %s in %s", got, n, phase, ns)
		case <-tick.C:
		}
	}
}
