package validate

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/testenv"
)

// requestLog records the requests a client makes (method and path).
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) RoundTrip(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		l.mu.Lock()
		l.reqs = append(l.reqs, req.Method+" "+req.URL.Path)
		l.mu.Unlock()
		return rt.RoundTrip(req)
	})
}

func (l *requestLog) count(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reqs {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// e2eSetup returns clients of the local cluster and a fresh namespace.
func e2eSetup(t *testing.T) (*kube.Clients, string, context.Context) {
	c, ns, ctx, _ := e2eSetupLogged(t)
	return c, ns, ctx
}

// e2eSetupLogged is e2eSetup with a log of the clients' requests.
func e2eSetupLogged(t *testing.T) (*kube.Clients, string, context.Context, *requestLog) {
	t.Helper()
	env := testenv.Get(t)
	log := &requestLog{}
	cfg := rest.CopyConfig(env.RESTConfig)
	cfg.WrapTransport = log.RoundTrip
	c, err := kube.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ns := testenv.Namespace(t, env, "validate-")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c, ns, ctx, log
}

// decodeInto decodes a bundle and puts namespaced objects without a
// namespace into ns, as the loader does.
func decodeInto(t *testing.T, dir, ns, doc string) []manifest.Object {
	t.Helper()
	objs := decodeFile(t, dir, "bundle.yaml", doc)
	for _, o := range objs {
		if o.Obj.GetNamespace() == "shop" {
			o.Obj.SetNamespace(ns)
		}
	}
	return objs
}

const liveSecretValue = "s3cr3t-value-never-shown"

func createLiveConfig(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns string) {
	t.Helper()
	_, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		StringData: map[string]string{"user": liveSecretValue},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings"}, Data: map[string]string{"mode": "fast"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "runner"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestE2EReferencesAgainstLiveNamespace(t *testing.T) {
	c, ns, ctx, log := e2eSetupLogged(t)
	createLiveConfig(t, ctx, c.Typed, ns)
	rel := testRelease(t.TempDir())
	rel.Spec.Namespace = ns
	objs := decodeInto(t, rel.Dir, ns, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: runner
      containers:
      - name: web
        image: nginx:1
        env:
        - {name: U, valueFrom: {secretKeyRef: {name: db, key: user}}}
        - {name: P, valueFrom: {secretKeyRef: {name: db, key: password}}}
        - {name: M, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
        - {name: G, valueFrom: {secretKeyRef: {name: ghost, key: x}}}
        - {name: O, valueFrom: {secretKeyRef: {name: ghost, key: x, optional: true}}}
        envFrom: [{configMapRef: {name: settings}}]
      volumes:
      - {name: data, persistentVolumeClaim: {claimName: data}}
      - {name: other, persistentVolumeClaim: {claimName: other}}
`)
	r := Run(ctx, Input{Release: rel, Objects: objs, Clients: c})
	assertProblems(t, familyProblems(r, IDReference), []string{
		`fail 15: Deployment ` + ns + `/web: container "web" env P: key "password" not found in Secret ` + ns + `/db (in the cluster; it has keys user)`,
		`fail 17: Deployment ` + ns + `/web: container "web" env G: Secret ` + ns + `/ghost not found in the bundle or the cluster`,
		`fail 22: Deployment ` + ns + `/web: volume "other": PersistentVolumeClaim ` + ns + `/other not found in the bundle or the cluster`,
	})
	for _, ch := range r.Checks {
		if strings.Contains(ch.Message+ch.Evidence, liveSecretValue) {
			t.Fatalf("a Secret value leaked into the report: %s", ch.Message)
		}
	}
	// One LIST per kind and namespace, never a GET per reference.
	base := "GET /api/v1/namespaces/" + ns + "/"
	for _, res := range []string{"secrets", "configmaps", "serviceaccounts", "persistentvolumeclaims"} {
		if n := log.count(base + res); n != 1 {
			t.Errorf("%d requests for %s, want 1 LIST: %v", n, res, log.reqs)
		}
		if n := log.count(base + res + "/"); n != 0 {
			t.Errorf("%d GETs of single %s", n, res)
		}
	}
}

func TestE2ELivePodDisruptionBudgetCounts(t *testing.T) {
	c, ns, ctx := e2eSetup(t)
	one := intstr.FromInt32(1)
	if _, err := c.Typed.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rel := testRelease(t.TempDir())
	rel.Spec.Namespace = ns
	doc := goodDeployment + "---\n" + strings.ReplaceAll(goodDeployment, "web", "api")
	r := Run(ctx, Input{Release: rel, Objects: decodeInto(t, rel.Dir, ns, doc), Clients: c})
	assertProblems(t, familyProblems(r, IDHygiene), []string{
		`warn 24: Deployment ` + ns + `/api: 2 replicas and no PodDisruptionBudget selects their pods`,
	})
}

func TestE2EKubeVersionFromCluster(t *testing.T) {
	c, ns, ctx := e2eSetup(t)
	info, err := c.Discovery.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	rel := testRelease(t.TempDir())
	objs := decodeInto(t, rel.Dir, ns, "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n")
	r := Run(ctx, Input{Release: rel, Objects: objs, Clients: c})
	want := "(target " + info.Major + "." + strings.TrimRight(info.Minor, "+") + "): use batch/v1"
	got := familyProblems(r, IDAPIVersion)
	if len(got) != 1 || !strings.Contains(got[0], want) {
		t.Fatalf("got %q, want one failure containing %q", got, want)
	}
	for _, ch := range r.Checks {
		if ch.ID == IDAPIVersion && !strings.Contains(ch.Evidence, "version read from the cluster: "+info.GitVersion) {
			t.Errorf("evidence %q does not name the cluster's version %s", ch.Evidence, info.GitVersion)
		}
	}
}

// createCRD creates a cluster CRD of a group unique to the test.
func createCRD(t *testing.T, ctx context.Context, c *kube.Clients, group string) {
	t.Helper()
	crd := decodeFile(t, t.TempDir(), "crd.yaml", strings.ReplaceAll(widgetCRD, "example.com", group))[0].Obj
	res := c.Dynamic.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	if _, err := res.Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = res.Delete(ctx, crd.GetName(), metav1.DeleteOptions{})
	})
}

func TestE2ECustomResourceAgainstClusterCRD(t *testing.T) {
	c, ns, ctx := e2eSetup(t)
	group := ns + ".kship.test"
	createCRD(t, ctx, c, group)
	rel := testRelease(t.TempDir())
	objs := decodeInto(t, rel.Dir, ns, `apiVersion: `+group+`/v1
kind: Widget
metadata: {name: good}
spec: {size: 2}
---
apiVersion: `+group+`/v1
kind: Widget
metadata: {name: bad}
spec: {size: 0, shape: round}
---
apiVersion: nothing.kship.test/v1
kind: Gizmo
metadata: {name: g}
`)
	r := Run(ctx, Input{Release: rel, Objects: objs, Clients: c})
	assertProblems(t, familyProblems(r, IDSchema), []string{
		`fail 9: Widget ` + ns + `/bad: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1 (CRD widgets.` + group + `)`,
		`fail 9: Widget ` + ns + `/bad: unknown field "spec.shape" (not in the schema of CRD widgets.` + group + `)`,
		`fail 12: Gizmo ` + ns + `/g: no CRD for kind Gizmo (nothing.kship.test/v1, usually CRD gizmos.nothing.kship.test) in the bundle or the cluster: install the CRD first`,
	})
}

// TestE2EAcceptanceBundle is issue 3's acceptance bundle: exactly four
// problems, each with file and line; the new namespace's objects pass.
func TestE2EAcceptanceBundle(t *testing.T) {
	c, ns, ctx := e2eSetup(t)
	createLiveConfig(t, ctx, c.Typed, ns)
	group := ns + ".kship.test"
	createCRD(t, ctx, c, group)
	newNS := ns + "-new"
	rel := testRelease(t.TempDir())
	rel.Spec.Namespace = ns
	clean := func(name, extra string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ` + name + `}
spec:
  replicas: 2
  selector: {matchLabels: {app: ` + name + `}}
  template:
    metadata: {labels: {app: ` + name + `}}
    spec:
      containers:
      - name: app
        image: demo:1
        resources: {requests: {cpu: 10m}}
        readinessProbe: {httpGet: {path: /, port: 8080}}
` + extra + "---\n"
	}
	doc := clean("keyref", "        env: [{name: P, valueFrom: {secretKeyRef: {name: db, key: password}}}]\n") +
		clean("typo", "      containerz: []\n") +
		strings.Replace(clean("old", ""), "apps/v1", "apps/v1beta1", 1) +
		"apiVersion: " + group + "/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1, colour: red}\n---\n" +
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: " + newNS + "}\n---\n" +
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: " + newNS + "}\ndata: {mode: x}\n---\n" +
		strings.Replace(clean("fresh", "        envFrom: [{configMapRef: {name: cfg}}]\n"), "metadata: {name: fresh}", "metadata: {name: fresh, namespace: "+newNS+"}", 1) +
		"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: all}\nspec: {maxUnavailable: 1, selector: {}}\n---\n" +
		"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: all, namespace: " + newNS + "}\nspec: {maxUnavailable: 1, selector: {}}\n"
	objs := decodeInto(t, rel.Dir, ns, doc)
	r := Run(ctx, Input{Release: rel, Objects: objs, Clients: c})
	var fails []string
	for _, ch := range r.Checks {
		if ch.Status == Fail {
			fails = append(fails, ch.Source.String()+": "+ch.Message)
		}
	}
	file := rel.Dir + "/bundle.yaml"
	want := []string{
		file + `:31: Deployment ` + ns + `/typo: unknown field "spec.template.spec.containerz"`,
		file + `:33: Deployment ` + ns + `/old: apps/v1beta1 Deployment was removed in Kubernetes 1.16`,
		file + `:51: Widget ` + ns + `/w: unknown field "spec.colour"`,
		file + `:15: Deployment ` + ns + `/keyref: container "app" env P: key "password" not found in Secret ` + ns + `/db`,
	}
	if len(fails) != len(want) {
		t.Fatalf("got %d failures, want 4:\n%s\nall items:\n%s", len(fails), strings.Join(fails, "\n"), strings.Join(problems(r), "\n"))
	}
	for _, w := range want {
		found := false
		for _, f := range fails {
			found = found || strings.HasPrefix(f, w)
		}
		if !found {
			t.Errorf("missing failure %q in:\n%s", w, strings.Join(fails, "\n"))
		}
	}
	if _, err := c.Typed.CoreV1().Namespaces().Get(ctx, newNS, metav1.GetOptions{}); err == nil {
		t.Errorf("namespace %s exists: validation wrote to the cluster", newNS)
	}
}
