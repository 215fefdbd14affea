package apply

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

// decode parses inline YAML documents into objects.
func decode(t *testing.T, doc string) []manifest.Object {
	t.Helper()
	objs, err := manifest.Decode("test.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

const bundle = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate-2, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate-1, namespace: shop}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate-1-down, namespace: shop}
---
apiVersion: batch/v1
kind: Job
metadata: {name: report, namespace: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
`

func TestSplitPhases(t *testing.T) {
	var got []string
	for _, p := range splitPhases(manifest.SortForApply(decode(t, bundle))) {
		var names []string
		for _, o := range p.objs {
			names = append(names, o.Obj.GetName())
		}
		got = append(got, strings.Join(names, ","))
	}
	want := "shop | cfg | migrate-2,migrate-1,migrate-1-down,report | web"
	if strings.Join(got, " | ") != want {
		t.Errorf("phases = %q, want %q", strings.Join(got, " | "), want)
	}
}

func TestMigrationPlan(t *testing.T) {
	objs := decode(t, bundle)
	p, err := planMigrations(objs, []config.Migration{
		{Job: "migrate-1", Type: config.MigrationReversible, Down: "migrate-1-down"},
		{Job: "migrate-2", Type: config.MigrationForwardOnly},
	})
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]role{}
	var migrations []manifest.Object
	for _, o := range objs {
		roles[o.Obj.GetName()] = p.role(o)
		if p.role(o) == roleMigration {
			migrations = append(migrations, o)
		}
	}
	want := map[string]role{"web": roleApply, "cfg": roleApply, "shop": roleApply, "report": roleApply,
		"migrate-1": roleMigration, "migrate-2": roleMigration, "migrate-1-down": roleSkip}
	for name, r := range want {
		if roles[name] != r {
			t.Errorf("role(%s) = %d, want %d", name, roles[name], r)
		}
	}
	var order []string
	for _, o := range p.ordered(migrations) {
		order = append(order, o.Obj.GetName())
	}
	if strings.Join(order, ",") != "migrate-1,migrate-2" {
		t.Errorf("migration order = %v, want the release's order", order)
	}
}

func TestMigrationPlanMissingJob(t *testing.T) {
	_, err := planMigrations(decode(t, bundle), []config.Migration{{Job: "nope"}, {Job: "migrate-1", Down: "gone"}})
	if err == nil {
		t.Fatal("a migration naming no Job of the bundle was accepted")
	}
	for _, want := range []string{`no Job named "nope"`, `no down Job named "gone"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestApplyBodyDropsServerFields(t *testing.T) {
	o := decode(t, `
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: shop
  resourceVersion: "42"
  uid: 0b1c
  creationTimestamp: null
  managedFields: [{manager: kubectl}]
  labels: {app: web}
data: {a: b}
`)[0]
	body, err := applyBody(o.Obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	md := m["metadata"].(map[string]any)
	for _, f := range []string{"resourceVersion", "uid", "creationTimestamp", "managedFields"} {
		if _, ok := md[f]; ok {
			t.Errorf("apply body keeps metadata.%s", f)
		}
	}
	if md["labels"] == nil || m["data"] == nil {
		t.Errorf("apply body lost content: %s", body)
	}
	if o.Obj.GetResourceVersion() != "42" {
		t.Error("applyBody changed its input")
	}
}

func TestConflictErrorMessage(t *testing.T) {
	e := &ConflictError{
		Object: manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"},
		Conflicts: []Conflict{
			{Manager: "kubectl-edit", Field: ".spec.replicas"},
			{Manager: "hpa", Field: ".spec.template.spec.containers[name=\"app\"].resources"},
			{Manager: "kubectl-edit", Field: ".metadata.labels.tier"},
		},
	}
	want := `Deployment shop/web: apply conflict: .spec.template.spec.containers[name="app"].resources owned by field manager "hpa"; ` +
		`.spec.replicas, .metadata.labels.tier owned by field manager "kubectl-edit"; kship does not take over fields another manager set; ` +
		`re-run with --force-conflicts to take them over, or remove them from the manifest`
	if e.Error() != want {
		t.Errorf("message =\n%s\nwant\n%s", e.Error(), want)
	}
}

func TestChangeSetCounts(t *testing.T) {
	cs := &ChangeSet{Changes: []Change{{Action: Created}, {Action: Created}, {Action: Unchanged}}}
	if c := cs.Counts(); c[Created] != 2 || c[Unchanged] != 1 || c[Configured] != 0 {
		t.Errorf("counts = %v", c)
	}
}

func TestActionOf(t *testing.T) {
	after := func(rv string, gen int64, labels, ann map[string]string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetResourceVersion(rv)
		u.SetGeneration(gen)
		u.SetLabels(labels)
		u.SetAnnotations(ann)
		return u
	}
	rev := map[string]string{"deployment.kubernetes.io/revision": "3"}
	tests := []struct {
		name   string
		before *metav1.ObjectMeta
		after  *unstructured.Unstructured
		want   Action
	}{
		{"new", nil, after("5", 1, nil, nil), Created},
		{"same version", &metav1.ObjectMeta{ResourceVersion: "5", Generation: 1}, after("5", 1, nil, nil), Unchanged},
		{"configmap changed", &metav1.ObjectMeta{ResourceVersion: "5"}, after("6", 0, nil, nil), Configured},
		{"spec changed", &metav1.ObjectMeta{ResourceVersion: "5", Generation: 1}, after("9", 2, nil, nil), Configured},
		{"only status written meanwhile", &metav1.ObjectMeta{ResourceVersion: "5", Generation: 2}, after("9", 2, nil, nil), Unchanged},
		{"controller annotation only", &metav1.ObjectMeta{ResourceVersion: "5", Generation: 2}, after("9", 2, nil, rev), Unchanged},
		{"label changed", &metav1.ObjectMeta{ResourceVersion: "5", Generation: 2}, after("9", 2, map[string]string{"a": "b"}, nil), Configured},
		{"annotation changed", &metav1.ObjectMeta{ResourceVersion: "5", Generation: 2, Annotations: rev}, after("9", 2, nil, map[string]string{"note": "x", "deployment.kubernetes.io/revision": "3"}), Configured},
	}
	for _, tt := range tests {
		if got := actionOf(tt.before, tt.after); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
