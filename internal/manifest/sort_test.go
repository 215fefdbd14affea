package manifest

import (
	"fmt"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func obj(apiVersion, kind, name string) Object {
	objs, err := Decode("t.yaml", []byte(fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: {name: %s}\n", apiVersion, kind, name)))
	if err != nil {
		panic(err)
	}
	return objs[0]
}

func TestSortForApply(t *testing.T) {
	in := []Object{
		obj("networking.k8s.io/v1", "Ingress", "web"),
		obj("apps/v1", "Deployment", "web"),
		obj("v1", "Service", "web"),
		obj("batch/v1", "Job", "migrate"),
		obj("v1", "Secret", "b"),
		obj("v1", "ConfigMap", "a"),
		obj("rbac.authorization.k8s.io/v1", "RoleBinding", "rb"),
		obj("v1", "ServiceAccount", "sa"),
		obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "ws.example.com"),
		obj("v1", "Namespace", "shop"),
		obj("example.com/v1", "Widget", "w"),
		obj("serving.knative.dev/v1", "Service", "kn"),
		obj("batch/v1", "CronJob", "nightly"),
	}
	var got []string
	for _, o := range SortForApply(in) {
		got = append(got, o.Obj.GetKind()+"/"+o.Obj.GetName())
	}
	want := []string{"Namespace/shop", "CustomResourceDefinition/ws.example.com", "RoleBinding/rb", "ServiceAccount/sa",
		"Secret/b", "ConfigMap/a", "Job/migrate", "Service/web", "Deployment/web", "CronJob/nightly",
		"Ingress/web", "Widget/w", "Service/kn"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order:\n got %v\nwant %v", got, want)
	}
	if in[0].Obj.GetKind() != "Ingress" {
		t.Error("SortForApply changed its input")
	}
}

func TestScope(t *testing.T) {
	bundle := []Object{mustDecode(t, "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ws.example.com}\nspec: {group: example.com, scope: Namespaced, names: {kind: Widget}}\n")}
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Group: "db.example.com", Version: "v1", Kind: "Cluster"}, meta.RESTScopeRoot)
	s := NewScope(mapper, bundle)
	tests := []struct {
		gvk               schema.GroupVersionKind
		namespaced, known bool
	}{
		{schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, true, true},
		{schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, false, true},
		{schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"}, false, true},
		{schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}, true, true},
		{schema.GroupVersionKind{Group: "db.example.com", Version: "v1", Kind: "Cluster"}, false, true},
		{schema.GroupVersionKind{Group: "unknown.example.com", Version: "v1", Kind: "Thing"}, true, false},
	}
	for _, tt := range tests {
		ns, known := s.IsNamespaced(tt.gvk)
		if ns != tt.namespaced || known != tt.known {
			t.Errorf("%s: namespaced=%v known=%v, want %v %v", tt.gvk, ns, known, tt.namespaced, tt.known)
		}
	}
	if ns, known := IsNamespaced(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}, nil, nil); !ns || known {
		t.Error("a kind no one defines must be unknown")
	}
}

func mustDecode(t *testing.T, s string) Object {
	t.Helper()
	objs, err := Decode("t.yaml", []byte(s))
	if err != nil || len(objs) != 1 {
		t.Fatalf("decode: %v (%d objects)", err, len(objs))
	}
	return objs[0]
}

func TestEncodeRoundTrip(t *testing.T) {
	src := `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  labels: {app: web}
data:
  yes: "yes"
  n: "1"
  multi: |
    line one
    line two
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  template:
    spec:
      containers: [{name: web, image: "web:1", resources: {limits: {cpu: 0.5}}, env: [{name: FLAG, value: "on"}]}]
`
	objs, err := Decode("in.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Encode(objs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode("out.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(back) != len(objs) {
		t.Fatalf("%d objects back, want %d", len(back), len(objs))
	}
	for i := range objs {
		if !reflect.DeepEqual(objs[i].Obj.Object, back[i].Obj.Object) {
			t.Errorf("object %d changed:\n%#v\n%#v", i, objs[i].Obj.Object, back[i].Obj.Object)
		}
	}
	if strings.Count(string(data), "\n---\n") != 1 {
		t.Errorf("want two documents:\n%s", data)
	}
}

// BenchmarkDecode decodes a 5,000-object bundle (Deployments, Services
// and ConfigMaps, as a release of many small services would hold).
func BenchmarkDecode(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 5000/3+1; i++ {
		fmt.Fprintf(&sb, bundleDoc, i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		objs, err := Decode("bench.yaml", data)
		if err != nil || len(objs) < 5000 {
			b.Fatalf("%v, %d objects", err, len(objs))
		}
	}
	n := float64(b.N * (5000/3 + 1) * 3)
	b.ReportMetric(n/b.Elapsed().Seconds(), "objects/s")
	// CPU time is the fair figure on a shared machine, where wall time
	// includes waiting for a core.
	b.ReportMetric(n/(cpuTime()-cpu0).Seconds(), "objects/cpu-s")
}

// cpuTime is the CPU time this process has used (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const bundleDoc = `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-%[1]d
  labels: {app: svc-%[1]d, tier: backend}
spec:
  replicas: 2
  selector:
    matchLabels: {app: svc-%[1]d}
  template:
    metadata:
      labels: {app: svc-%[1]d}
    spec:
      containers:
        - name: app
          image: registry.example.com/svc:1.%[1]d
          ports: [{containerPort: 8080}]
          env:
            - name: CONFIG
              valueFrom: {configMapKeyRef: {name: svc-%[1]d, key: config}}
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {memory: 128Mi}
          readinessProbe:
            httpGet: {path: /healthz, port: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: svc-%[1]d
spec:
  selector: {app: svc-%[1]d}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: svc-%[1]d
data:
  config: "mode=prod"
`
