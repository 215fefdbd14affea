package apply_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/kship/kship/internal/apply"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/testenv"
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

func setup(t *testing.T, prefix string) (*kube.Clients, string) {
	t.Helper()
	env := testenv.Get(t)
	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	return c, testenv.Namespace(t, env, prefix)
}

func decode(t *testing.T, doc string) []manifest.Object {
	t.Helper()
	objs, err := manifest.Decode("bundle.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func ctx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

// actions renders a change set as "Kind name=action" lines.
func actions(cs *apply.ChangeSet) map[string]apply.Action {
	out := map[string]apply.Action{}
	for _, ch := range cs.Changes {
		out[ch.Ref.Kind+" "+ch.Ref.Name] = ch.Action
	}
	return out
}

func webBundle(ns, image, data string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: %[1]s}
data: {greeting: %[3]q}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: %[1]s}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: %[1]s}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: %[2]q}]
`, ns, image, data)
}

func TestApplyCreateUnchangedConfigured(t *testing.T) {
	c, ns := setup(t, "apply-cuc-")
	rec := &recorder{}
	a := &apply.Applier{Clients: c, Sink: rec}
	cs, err := a.Apply(ctx(t, time.Minute), decode(t, webBundle(ns, "demo:v1", "hello")), apply.Options{})
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	want := map[string]apply.Action{"ConfigMap web-config": apply.Created, "Service web": apply.Created, "Deployment web": apply.Created}
	assertActions(t, "first apply", cs, want)
	if len(rec.events) != 3 || rec.events[0].Type != event.TypeApplied || rec.events[0].Message != "created" {
		t.Errorf("events = %+v", rec.events)
	}

	cs, err = a.Apply(ctx(t, time.Minute), decode(t, webBundle(ns, "demo:v1", "hello")), apply.Options{})
	if err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	assertActions(t, "re-apply", cs, map[string]apply.Action{"ConfigMap web-config": apply.Unchanged, "Service web": apply.Unchanged, "Deployment web": apply.Unchanged})

	cs, err = a.Apply(ctx(t, time.Minute), decode(t, webBundle(ns, "demo:v2", "hello")), apply.Options{})
	if err != nil {
		t.Fatalf("apply change: %v", err)
	}
	assertActions(t, "image change", cs, map[string]apply.Action{"ConfigMap web-config": apply.Unchanged, "Service web": apply.Unchanged, "Deployment web": apply.Configured})

	d, err := c.Typed.AppsV1().Deployments(ns).Get(ctx(t, 10*time.Second), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "demo:v2" {
		t.Errorf("image = %s, want demo:v2", img)
	}
	managed := false
	for _, m := range d.ManagedFields {
		managed = managed || (m.Manager == "kship" && m.Operation == metav1.ManagedFieldsOperationApply)
	}
	if !managed {
		t.Error("the Deployment has no server-side apply entry of field manager kship")
	}
}

func assertActions(t *testing.T, what string, cs *apply.ChangeSet, want map[string]apply.Action) {
	t.Helper()
	got := actions(cs)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q (all: %v)", what, k, got[k], v, got)
		}
	}
}

func TestApplyConflictNeedsForce(t *testing.T) {
	c, ns := setup(t, "apply-conflict-")
	other := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web-config","namespace":%q},"data":{"greeting":"from-someone-else"}}`, ns)
	_, err := c.Typed.CoreV1().ConfigMaps(ns).Patch(ctx(t, 10*time.Second), "web-config", types.ApplyPatchType, []byte(other),
		metav1.PatchOptions{FieldManager: "ops-team"})
	if err != nil {
		t.Fatal(err)
	}
	objs := decode(t, webBundle(ns, "demo:v1", "hello"))
	a := &apply.Applier{Clients: c}
	cs, err := a.Apply(ctx(t, time.Minute), objs, apply.Options{})
	var ce *apply.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("apply over another manager's field = %v, want a ConflictError", err)
	}
	msg := err.Error()
	for _, want := range []string{"ConfigMap " + ns + "/web-config", `"ops-team"`, ".data.greeting", "--force-conflicts"} {
		if !strings.Contains(msg, want) {
			t.Errorf("conflict error %q does not name %s", msg, want)
		}
	}
	if got := actions(cs); got["ConfigMap web-config"] != apply.Failed || got["Deployment web"] != "" {
		t.Errorf("changes after a conflict in the config phase = %v (workloads must not be applied)", got)
	}
	if _, err := c.Typed.AppsV1().Deployments(ns).Get(ctx(t, 10*time.Second), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the Deployment was applied after a conflict in an earlier phase: %v", err)
	}

	a.ForceConflicts = true
	cs, err = a.Apply(ctx(t, time.Minute), objs, apply.Options{})
	if err != nil {
		t.Fatalf("forced apply: %v", err)
	}
	assertActions(t, "forced", cs, map[string]apply.Action{"ConfigMap web-config": apply.Configured})
	cm, err := c.Typed.CoreV1().ConfigMaps(ns).Get(ctx(t, 10*time.Second), "web-config", metav1.GetOptions{})
	if err != nil || cm.Data["greeting"] != "hello" {
		t.Errorf("forced apply did not take the field over: %v %v", cm.Data, err)
	}
}

func TestApplyCRDAndCustomResource(t *testing.T) {
	env := testenv.Get(t)
	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	suffix := rand.String(5)
	group := "kship-test-" + suffix + ".example.com"
	ns := "apply-crd-" + suffix
	bundle := fmt.Sprintf(`apiVersion: %[1]s/v1
kind: Widget
metadata: {name: w1, namespace: %[2]s}
spec: {size: 3}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.%[1]s}
spec:
  group: %[1]s
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
---
apiVersion: v1
kind: Namespace
metadata: {name: %[2]s}
`, group, ns)
	objs := decode(t, bundle) // the custom resource comes first: Apply must order it after its CRD
	crd := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	t.Cleanup(func() {
		bg := context.Background()
		_ = c.Typed.CoreV1().Namespaces().Delete(bg, ns, metav1.DeleteOptions{})
		_ = c.Dynamic.Resource(crd).Delete(bg, "widgets."+group, metav1.DeleteOptions{})
	})
	a := &apply.Applier{Clients: c}
	cs, err := a.Apply(ctx(t, 2*time.Minute), objs, apply.Options{})
	if err != nil {
		t.Fatalf("apply CRD + CR: %v", err)
	}
	var order []string
	for _, ch := range cs.Changes {
		order = append(order, ch.Ref.Kind+"="+string(ch.Action))
	}
	if strings.Join(order, " ") != "Namespace=created CustomResourceDefinition=created Widget=created" {
		t.Errorf("changes = %v", order)
	}
	w, err := c.Dynamic.Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: "widgets"}).
		Namespace(ns).Get(ctx(t, 10*time.Second), "w1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the custom resource is not there: %v", err)
	}
	if size, _, _ := unstructuredInt(w.Object, "spec", "size"); size != 3 {
		t.Errorf("spec.size = %d", size)
	}
}

func unstructuredInt(m map[string]any, path ...string) (int64, bool, error) {
	for _, p := range path[:len(path)-1] {
		m, _ = m[p].(map[string]any)
	}
	v, ok := m[path[len(path)-1]].(int64)
	return v, ok, nil
}

func migrationJob(ns, name, behavior, command string) string {
	labels := ""
	if behavior != "" {
		labels = fmt.Sprintf("\n    metadata: {labels: {sim.kship.dev/behavior: %s}}", behavior)
	}
	return fmt.Sprintf(`---
apiVersion: batch/v1
kind: Job
metadata: {name: %s, namespace: %s}
spec:
  backoffLimit: 0
  template:%s
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "demo:v1", command: [%q]}]
`, name, ns, labels, command)
}

func TestApplyRunsMigrationBeforeWorkloads(t *testing.T) {
	c, ns := setup(t, "apply-migrate-")
	a := &apply.Applier{Clients: c}
	opts := apply.Options{Migrations: []config.Migration{{Job: "db-migrate", Type: config.MigrationForwardOnly}}}
	bundle := webBundle(ns, "demo:v1", "hello") + migrationJob(ns, "db-migrate", "", "migrate-1")
	cs, err := a.Apply(ctx(t, 2*time.Minute), decode(t, bundle), opts)
	if err != nil {
		t.Fatalf("apply with migration: %v", err)
	}
	var order []string
	for _, ch := range cs.Changes {
		order = append(order, ch.Ref.Kind)
	}
	if strings.Join(order, ",") != "ConfigMap,Job,Service,Deployment" {
		t.Errorf("order = %v", order)
	}
	job, err := c.Typed.BatchV1().Jobs(ns).Get(ctx(t, 10*time.Second), "db-migrate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Typed.AppsV1().Deployments(ns).Get(ctx(t, 10*time.Second), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status.CompletionTime == nil || job.Status.Succeeded != 1 {
		t.Fatalf("migration Job not complete after Apply: %+v", job.Status)
	}
	if d.CreationTimestamp.Before(job.Status.CompletionTime) {
		t.Errorf("Deployment created at %s, before the migration completed at %s", d.CreationTimestamp, job.Status.CompletionTime)
	}

	// The same migration again: a no-op (the Job is unchanged and complete).
	start := time.Now()
	cs, err = a.Apply(ctx(t, time.Minute), decode(t, bundle), opts)
	if err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	assertActions(t, "re-apply", cs, map[string]apply.Action{"Job db-migrate": apply.Unchanged})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("re-applying a completed migration took %s", d)
	}
	again, _ := c.Typed.BatchV1().Jobs(ns).Get(ctx(t, 10*time.Second), "db-migrate", metav1.GetOptions{})
	if again.UID != job.UID {
		t.Error("an unchanged migration Job was recreated")
	}

	// A changed migration Job is replaced and run again.
	bundle2 := webBundle(ns, "demo:v2", "hello") + migrationJob(ns, "db-migrate", "", "migrate-2")
	cs, err = a.Apply(ctx(t, 2*time.Minute), decode(t, bundle2), opts)
	if err != nil {
		t.Fatalf("apply changed migration: %v", err)
	}
	assertActions(t, "changed migration", cs, map[string]apply.Action{"Job db-migrate": apply.Created, "Deployment web": apply.Configured})
	replaced, err := c.Typed.BatchV1().Jobs(ns).Get(ctx(t, 10*time.Second), "db-migrate", metav1.GetOptions{})
	if err != nil || replaced.UID == job.UID || replaced.Status.Succeeded != 1 {
		t.Errorf("changed migration Job not replaced and run: %v %+v", err, replaced.Status)
	}
}

func TestApplyFailedMigrationLeavesWorkloadsUntouched(t *testing.T) {
	c, ns := setup(t, "apply-migfail-")
	a := &apply.Applier{Clients: c}
	opts := apply.Options{Migrations: []config.Migration{{Job: "db-migrate", Type: config.MigrationForwardOnly}}}
	bundle := webBundle(ns, "demo:v1", "hello") + migrationJob(ns, "db-migrate", "fail", "migrate")
	cs, err := a.Apply(ctx(t, 2*time.Minute), decode(t, bundle), opts)
	var me *apply.MigrationError
	if !errors.As(err, &me) {
		t.Fatalf("apply with a failing migration = %v, want a MigrationError", err)
	}
	t.Logf("error: %v", err)
	if me.Failure == nil || !strings.HasPrefix(me.Failure.Pod, "db-migrate-") || me.Failure.Container != "migrate" {
		t.Errorf("migration failure does not name the pod and container: %+v", me.Failure)
	}
	for _, want := range []string{"Job " + ns + "/db-migrate", "workloads left untouched", "exit code 1", "simulated failure"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	got := actions(cs)
	if got["Service web"] != "" || got["Deployment web"] != "" {
		t.Errorf("changes after the failed migration: %v", got)
	}
	if _, err := c.Typed.AppsV1().Deployments(ns).Get(ctx(t, 10*time.Second), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Deployment exists after a failed migration: %v", err)
	}
	if _, err := c.Typed.CoreV1().Services(ns).Get(ctx(t, 10*time.Second), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Service exists after a failed migration: %v", err)
	}
}

func TestPruneDeletes(t *testing.T) {
	c, ns := setup(t, "apply-prune-")
	a := &apply.Applier{Clients: c}
	objs := decode(t, webBundle(ns, "demo:v1", "hello"))
	if _, err := a.Apply(ctx(t, time.Minute), objs, apply.Options{}); err != nil {
		t.Fatal(err)
	}
	gone := append(objs, decode(t, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: never-existed, namespace: %s}\n", ns))...)
	cs, err := a.Prune(ctx(t, time.Minute), gone)
	if err != nil {
		t.Fatalf("prune: %v", err)
	}
	var order []string
	for _, ch := range cs.Changes {
		if ch.Action != apply.Pruned {
			t.Errorf("%s: %s", ch.Ref, ch.Action)
		}
		order = append(order, ch.Ref.Kind+" "+ch.Ref.Name)
	}
	if order[0] != "Deployment web" {
		t.Errorf("prune order = %v, want workloads first", order)
	}
	if _, err := c.Typed.AppsV1().Deployments(ns).Get(ctx(t, 10*time.Second), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Deployment still there after Prune returned: %v", err)
	}
	if _, err := c.Typed.CoreV1().ConfigMaps(ns).Get(ctx(t, 10*time.Second), "web-config", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ConfigMap still there after Prune returned: %v", err)
	}
	live, err := apply.Fetch(ctx(t, 10*time.Second), c, ns, []manifest.Ref{objs[0].Ref()})
	if err != nil || live[0] != nil {
		t.Errorf("Fetch after prune = %v, %v; want nil", live[0], err)
	}
}
