package builtin_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kship/kship/internal/builtin"
	"github.com/kship/kship/internal/testenv"
)

// TestE2EEveryKindTheAPIServerServesIsBuiltin asks the local cluster's API
// server (Kubernetes 1.37.2, kship's target) for every resource it serves
// and checks the generated table: each kind not served by a CRD or an
// aggregated API is in it, served, in the same scope, with the same verbs.
func TestE2EEveryKindTheAPIServerServesIsBuiltin(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	// The local API server is built from hack/localcluster's module (its
	// /version says v0.0.0-master): that module pins the release.
	gomod, err := os.ReadFile(filepath.Join(env.RepoRoot, "hack", "localcluster", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "k8s.io/kubernetes v" + builtin.ServerRelease; !strings.Contains(string(gomod), want) {
		t.Fatalf("the local API server is not built from %s (hack/localcluster/go.mod)", want)
	}
	notBuiltin := groupsOfCRDsAndAggregatedAPIs(t, env)
	_, lists, err := cs.Discovery().ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		if notBuiltin[gv.Group] {
			continue
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") {
				continue // subresources
			}
			gvk := gv.WithKind(r.Kind)
			k, ok := builtin.Lookup(gvk)
			if !ok || !k.Served || k.Resource != r.Name {
				t.Errorf("%s (%s): the API server serves it; the table has %+v", gvk, r.Name, k)
				continue
			}
			if (builtin.ScopeOf(gvk.GroupKind()) == builtin.Namespaced) != r.Namespaced {
				t.Errorf("%s: namespaced %v on the server, scope %v in the table", gvk, r.Namespaced, builtin.ScopeOf(gvk.GroupKind()))
			}
			verbs := append([]string(nil), r.Verbs...)
			sort.Strings(verbs)
			if strings.Join(verbs, ",") != strings.Join(k.Verbs, ",") {
				t.Errorf("%s: verbs %v on the server, %v in the table", gvk, verbs, k.Verbs)
			}
			checked++
		}
	}
	if checked < 50 {
		t.Fatalf("only %d served kinds checked", checked)
	}
	t.Logf("%d kinds the API server serves are in the table", checked)
}

// groupsOfCRDsAndAggregatedAPIs are the groups of the APIServices the API
// server did not register itself at start (label
// kube-aggregator.kubernetes.io/automanaged=onstart): those of CRDs other
// tests add to the shared cluster, and aggregated APIs (with a service).
func groupsOfCRDsAndAggregatedAPIs(t *testing.T, env *testenv.Env) map[string]bool {
	t.Helper()
	dyn, err := dynamic.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	list, err := dyn.Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}).
		List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, a := range list.Items {
		group, _, _ := unstructured.NestedString(a.Object, "spec", "group")
		_, aggregated, _ := unstructured.NestedMap(a.Object, "spec", "service")
		if aggregated || a.GetLabels()["kube-aggregator.kubernetes.io/automanaged"] != "onstart" {
			out[group] = true
		}
	}
	return out
}
