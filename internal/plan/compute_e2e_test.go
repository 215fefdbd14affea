package plan_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/rest"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/plan"
	"github.com/kship/kship/internal/testenv"
)

func decode(t *testing.T, ns, y string) []manifest.Object {
	t.Helper()
	objs, err := manifest.Decode("bundle.yaml", []byte(strings.ReplaceAll(y, "__NS__", ns)))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func clients(t *testing.T, env *testenv.Env) *kube.Clients {
	t.Helper()
	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func release(ns string) *config.Release {
	return &config.Release{Metadata: config.Metadata{Name: "e2e"}, Spec: config.Spec{Namespace: ns,
		Verify:   config.Verify{RolloutTimeout: config.Duration{Duration: time.Minute}},
		Rollback: config.Rollback{Method: config.RollbackAuto}}}
}

// ssa applies objs under a field manager that is not kship's.
func ssa(ctx context.Context, t *testing.T, c *kube.Clients, objs []manifest.Object) {
	t.Helper()
	force := true
	for _, o := range objs {
		m, err := c.Mapper.RESTMapping(o.GVK().GroupKind(), o.GVK().Version)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(o.Obj.Object)
		r := c.Dynamic.Resource(m.Resource).Namespace(o.Obj.GetNamespace())
		if _, err := r.Patch(ctx, o.Obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "plan-e2e", Force: &force}); err != nil {
			t.Fatalf("apply %s: %v", o.Ref(), err)
		}
	}
}

func change(t *testing.T, p *plan.Plan, kind, name string) plan.Change {
	t.Helper()
	for _, c := range p.Changes {
		if c.Ref.Kind == kind && c.Ref.Name == name {
			return c
		}
	}
	t.Fatalf("no change for %s %s in the plan", kind, name)
	return plan.Change{}
}

const live = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: __NS__}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "demo:v1"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: old, namespace: __NS__}
data: {a: b}
`

// TestComputeImmutablePruneAndScale plans against live objects: a changed
// Deployment selector is refused by the dry-run and flagged with what to
// do; an object of the previous revision missing from the new one is
// pruned; replicas going to 0 is a risk.
func TestComputeImmutablePruneAndScale(t *testing.T) {
	env := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, env, "p3c-plan-")
	c := clients(t, env)
	previous := decode(t, ns, live)
	ssa(ctx, t, c, previous)

	next := decode(t, ns, strings.Replace(strings.Split(live, "---")[0], "{app: web}}\n  template", "{app: web2}}\n  template", 1))
	p, err := plan.Compute(ctx, c, release(ns), next, previous)
	if err != nil {
		t.Fatal(err)
	}
	web := change(t, p, "Deployment", "web")
	if web.Action != plan.ActionUpdate || !strings.Contains(web.DryRunError, "immutable") {
		t.Errorf("selector change: %s, error %q; want update refused as immutable", web.Action, web.DryRunError)
	}
	if !strings.Contains(strings.Join(web.DryRunFields, ","), "spec.selector") {
		t.Errorf("refused fields %v, want spec.selector among them", web.DryRunFields)
	}
	if old := change(t, p, "ConfigMap", "old"); old.Action != plan.ActionPrune {
		t.Errorf("ConfigMap old: %s, want prune", old.Action)
	}
	kinds := map[plan.RiskKind]string{}
	for _, r := range p.Risks {
		kinds[r.Kind] = r.Advice
	}
	if !strings.Contains(kinds[plan.RiskImmutable], "delete and recreate the Deployment") {
		t.Errorf("immutable risk advice %q", kinds[plan.RiskImmutable])
	}
	if _, ok := kinds[plan.RiskDelete]; !ok {
		t.Errorf("no delete risk for the prune: %+v", p.Risks)
	}

	scaled := decode(t, ns, strings.Replace(live, "replicas: 2", "replicas: 0", 1))
	p, err = plan.Compute(ctx, c, release(ns), scaled, previous)
	if err != nil {
		t.Fatal(err)
	}
	web = change(t, p, "Deployment", "web")
	if len(web.Diff) != 1 || web.Diff[0].String() != "spec.replicas: 2 → 0" {
		t.Errorf("scale diff %v", web.Diff)
	}
	if p.Risks[0].Kind != plan.RiskScaleToZero || p.Counts[plan.ActionUnchanged] != 1 {
		t.Errorf("risks %+v counts %v", p.Risks, p.Counts)
	}
}

// TestComputeNewNamespaceAndBundleCRD plans a bundle that creates its own
// Namespace and CRD: objects in the new namespace are dry-run in a
// stand-in (and server errors still surface), custom resources of the new
// CRD are deferred, and nothing is created.
func TestComputeNewNamespaceAndBundleCRD(t *testing.T) {
	env := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, env, "p3c-plan-")
	newNS := "p3c-fresh-" + rand.String(6)
	group := "p3c" + rand.String(6) + ".kship.test"
	bundle := decode(t, ns, strings.NewReplacer("__NEW__", newNS, "__GROUP__", group).Replace(`
apiVersion: v1
kind: Namespace
metadata: {name: __NEW__}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.__GROUP__}
spec:
  group: __GROUP__
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ok, namespace: __NEW__}
data: {a: b}
---
apiVersion: v1
kind: Service
metadata: {name: bad, namespace: __NEW__}
spec: {ports: [{port: 99999}]}
---
apiVersion: __GROUP__/v1
kind: Gadget
metadata: {name: g, namespace: __NEW__}
`))
	p, err := plan.Compute(ctx, clients(t, env), release(ns), bundle, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cm := change(t, p, "ConfigMap", "ok"); cm.DryRun.Mode != plan.DryRunStandIn || cm.DryRunError != "" || cm.Action != plan.ActionCreate {
		t.Errorf("ConfigMap in new namespace: %+v", cm)
	}
	if svc := change(t, p, "Service", "bad"); svc.DryRun.Mode != plan.DryRunStandIn || !strings.Contains(svc.DryRunError, "99999") {
		t.Errorf("invalid Service in new namespace: %+v; want the server's error", svc)
	} else if svc.DryRunFields[0] != "spec.ports[0].port" {
		t.Errorf("refused fields %v, want spec.ports[0].port first", svc.DryRunFields)
	}
	if g := change(t, p, "Gadget", "g"); g.DryRun.Mode != plan.DryRunDeferred || g.DryRunError != "" {
		t.Errorf("custom resource of the bundle's CRD: %+v; want deferred", g)
	}
	if crd := change(t, p, "CustomResourceDefinition", "gadgets."+group); crd.Action != plan.ActionCreate || crd.DryRunError != "" {
		t.Errorf("CRD: %+v", crd)
	}
	if _, err := env.Clientset(t).CoreV1().Namespaces().Get(ctx, newNS, metav1.GetOptions{}); err == nil {
		t.Errorf("namespace %s exists after a dry-run plan", newNS)
	}
}

// TestComputeBulkReadAndFreshReleaseNamespace plans four ConfigMaps (read
// with one LIST: one live and changed, one live and equal, two new), and a
// release whose own namespace does not exist yet (deploy creates it), whose
// objects are dry-run in a stand-in rather than failing.
func TestComputeBulkReadAndFreshReleaseNamespace(t *testing.T) {
	env := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, env, "p3c-plan-")
	var gets, lists atomic.Int32
	cfg := rest.CopyConfig(env.RESTConfig)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/configmaps") {
				if strings.HasSuffix(r.URL.Path, "/configmaps") {
					lists.Add(1)
				} else {
					gets.Add(1)
				}
			}
			return rt.RoundTrip(r)
		})
	})
	c, err := kube.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cms := `
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: __NS__}
data: {k: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: __NS__}
data: {k: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: __NS__}
data: {k: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: d, namespace: __NS__}
data: {k: "1"}
`
	all := decode(t, ns, cms)
	ssa(ctx, t, c, all[:2])
	next := decode(t, ns, strings.Replace(cms, `{name: a, namespace: __NS__}
data: {k: "1"}`, `{name: a, namespace: __NS__}
data: {k: "2"}`, 1))
	p, err := plan.Compute(ctx, c, release(ns), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]plan.Action{"a": plan.ActionUpdate, "b": plan.ActionUnchanged, "c": plan.ActionCreate, "d": plan.ActionCreate}
	for name, action := range want {
		if got := change(t, p, "ConfigMap", name); got.Action != action {
			t.Errorf("ConfigMap %s: %s, want %s", name, got.Action, action)
		}
	}
	if d := change(t, p, "ConfigMap", "a").Diff; len(d) != 1 || d[0].String() != `data.k: "1" → "2"` {
		t.Errorf("diff of a: %v", d)
	}
	if gets.Load() != 0 || lists.Load() != 1 {
		t.Errorf("read 4 ConfigMaps with %d GETs and %d LISTs, want 0 and 1", gets.Load(), lists.Load())
	}

	fresh := "p3c-absent-" + rand.String(6)
	p, err = plan.Compute(ctx, c, release(fresh), decode(t, fresh, cms), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range p.Changes {
		if ch.DryRun.Mode != plan.DryRunStandIn || ch.DryRunError != "" || ch.Action != plan.ActionCreate {
			t.Errorf("%s in the fresh release namespace: %+v", ch.Ref, ch)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
