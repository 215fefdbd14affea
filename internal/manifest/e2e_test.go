package manifest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/discovery"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/testenv"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// TestLoadScopeFromCluster checks that the live cluster's REST mapper
// decides the scope of a custom kind the bundle does not define: a
// cluster-scoped kind gets no namespace, and a namespace on it is an error.
func TestLoadScopeFromCluster(t *testing.T) {
	env := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	group := "p3a" + rand.String(6) + ".kship.test"
	createClusterCRD(ctx, t, env, group)

	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(body string) {
		if err := os.WriteFile(filepath.Join(dir, "deploy", "b.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	rel := &config.Release{Dir: dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop", Source: config.Source{Path: "deploy"}}}

	write(fmt.Sprintf("apiVersion: %s/v1\nkind: Gadget\nmetadata: {name: g1}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", group))
	objs, err := manifest.Load(ctx, rel, c.Mapper)
	if err != nil {
		t.Fatal(err)
	}
	if ns := objs[0].Obj.GetNamespace(); ns != "" {
		t.Errorf("cluster-scoped Gadget got namespace %q", ns)
	}
	if ns := objs[1].Obj.GetNamespace(); ns != "shop" {
		t.Errorf("ConfigMap namespace = %q, want shop", ns)
	}
	// Offline the kind is unknown and taken as namespaced.
	if objs, err := manifest.Load(ctx, rel, nil); err != nil || objs[0].Obj.GetNamespace() != "shop" {
		t.Errorf("offline: %v, namespace %q", err, objs[0].Obj.GetNamespace())
	}

	write(fmt.Sprintf("apiVersion: %s/v1\nkind: Gadget\nmetadata: {name: g1, namespace: shop}\n", group))
	_, err = manifest.Load(ctx, rel, c.Mapper)
	if err == nil || !strings.HasPrefix(err.Error(), `deploy/b.yaml:1: Gadget g1 is cluster-scoped but sets metadata.namespace "shop"`) {
		t.Errorf("error = %v", err)
	}
}

// createClusterCRD creates a cluster-scoped Gadget kind in group and waits,
// with a watch, until it is established, then until the API server's
// discovery lists it: Established comes first, and discovery can lag it on
// a loaded machine (a mapper asked in between finds no such kind, which
// failed this test once with the Gadget taken as namespaced).
func createClusterCRD(ctx context.Context, t *testing.T, env *testenv.Env, group string) {
	t.Helper()
	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	name := "gadgets." + group
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"group": group, "scope": "Cluster",
			"names": map[string]any{"kind": "Gadget", "plural": "gadgets", "singular": "gadget", "listKind": "GadgetList"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	crds := c.Dynamic.Resource(crdGVR)
	if _, err := crds.Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = crds.Delete(context.WithoutCancel(ctx), name, metav1.DeleteOptions{})
	})
	w, err := crds.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		u, ok := ev.Object.(*unstructured.Unstructured)
		if ok && established(u) {
			waitDiscovered(ctx, t, env, group+"/v1", "gadgets")
			return
		}
	}
	t.Fatalf("CRD %s not established: %v", name, ctx.Err())
}

// waitDiscovered waits until the API server's discovery of groupVersion
// lists resource, asking every 200 ms until ctx ends.
func waitDiscovered(ctx context.Context, t *testing.T, env *testenv.Env, groupVersion, resource string) {
	t.Helper()
	d, err := discovery.NewDiscoveryClientForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if list, err := d.ServerResourcesForGroupVersion(groupVersion); err == nil {
			for _, r := range list.APIResources {
				if r.Name == resource {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("discovery does not list %s in %s: %v", resource, groupVersion, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}
