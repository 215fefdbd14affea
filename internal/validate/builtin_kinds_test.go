package validate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
	apiregv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregv1beta1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1beta1"
)

// TestKubePrometheusKindsAreBuiltin: APIService and the other kinds the
// API server serves beyond k8s.io/api validate as built-in offline (an
// APIService was "no CRD for kind APIService").
func TestKubePrometheusKindsAreBuiltin(t *testing.T) {
	r := runOffline(t, testRelease(t.TempDir()), `apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {name: prometheus-adapter, namespace: monitoring}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.custom.metrics.k8s.io}
spec:
  group: custom.metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  servicez: {name: x}
---
apiVersion: resource.k8s.io/v1
kind: DeviceTaintRule
metadata: {name: t}
spec:
  taint: {key: k, effect: NoSchedule}
`)
	assertProblems(t, familyProblems(r, IDSchema), []string{
		`fail 20: APIService v1beta1.custom.metrics.k8s.io: unknown field "spec.servicez"`,
	})
	assertProblems(t, familyProblems(r, IDAPIVersion), nil)
}

// TestAggregatedAPIKindsAreLeftToTheDryRun: objects of a group version an
// APIService of the bundle registers are served by an aggregated API, not
// a CRD: a note, no failure.
func TestAggregatedAPIKindsAreLeftToTheDryRun(t *testing.T) {
	r := runOffline(t, testRelease(t.TempDir()), `apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1alpha1.wardle.example.com}
spec:
  group: wardle.example.com
  version: v1alpha1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: {name: wardle, namespace: wardle}
---
apiVersion: wardle.example.com/v1alpha1
kind: Flunder
metadata: {name: f}
---
apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata: {name: g}
`)
	assertProblems(t, familyProblems(r, IDSchema), []string{`fail 16: Flunder shop/g: no CRD for kind Flunder (wardle.example.com/v1beta1`})
	found := false
	for _, c := range r.Checks {
		if c.ID == IDSchema && c.Status == Pass && strings.Contains(c.Message, "Flunder shop/f: wardle.example.com/v1alpha1 is served by an aggregated API (APIService v1alpha1.wardle.example.com of the bundle)") {
			found = true
		}
	}
	if !found {
		t.Errorf("no aggregated-API note for Flunder shop/f: %v", r.Checks)
	}
}

func TestKindsThatAreNotObjectsOneApplies(t *testing.T) {
	r := runOffline(t, testRelease(t.TempDir()), `apiVersion: audit.k8s.io/v1
kind: Policy
metadata: {name: audit}
rules: [{level: Metadata}]
---
apiVersion: v1
kind: PodList
metadata: {name: pods}
---
apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
metadata: {name: sar}
spec: {user: me}
---
apiVersion: policy/v1
kind: Eviction
metadata: {name: e}
---
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
metadata: {name: enc}
`)
	assertProblems(t, familyProblems(r, IDSchema), []string{
		`fail 2: Policy shop/audit: audit.k8s.io/v1 Policy is kube-apiserver's audit policy file or an audit event it writes, not an object of the API`,
		`fail 7: PodList shop/pods: v1 PodList is the list the API returns, not an object one applies: write each Pod as its own document`,
		`fail 11: SubjectAccessReview sar: authorization.k8s.io/v1 SubjectAccessReview is a request the API server answers (subjectaccessreviews accepts only create), not an object one applies`,
		`fail 16: Eviction shop/e: policy/v1 Eviction is the body of a request to the pods/eviction subresource, not an object one applies`,
		`fail 20: EncryptionConfiguration shop/enc: apiserver.config.k8s.io/v1 EncryptionConfiguration is a configuration file of kube-apiserver`,
	})
}

// lifecycleScheme is k8s.io/api's own view, independent of package
// builtin's generated table: the types and the lifecycle methods
// prerelease-lifecycle-gen compiled into them.
func lifecycleScheme(t *testing.T) map[schema.GroupVersionKind]reflect.Type {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientscheme.AddToScheme, apiextv1.AddToScheme, apiextv1beta1.AddToScheme, apiregv1.AddToScheme, apiregv1beta1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	out := map[schema.GroupVersionKind]reflect.Type{}
	meta := reflect.TypeOf(metav1.ObjectMeta{})
	for gvk, typ := range s.AllKnownTypes() {
		if f, ok := typ.FieldByName("ObjectMeta"); ok && f.Type == meta && gvk.Version != runtime.APIVersionInternal {
			out[gvk] = typ
		}
	}
	return out
}

// TestLifecycleOfKubernetesAPI: every kind k8s.io/api marks removed by
// Kubernetes 1.37 is flagged (fail), and every one it marks deprecated by
// 1.37 and still served is warned about, with the object and its line.
func TestLifecycleOfKubernetesAPI(t *testing.T) {
	type removedAt interface{ APILifecycleRemoved() (int, int) }
	type deprecatedAt interface{ APILifecycleDeprecated() (int, int) }
	target := mustVersion("1.37")
	var doc strings.Builder
	want := map[string]Status{}
	for gvk, typ := range lifecycleScheme(t) {
		v := reflect.New(typ).Interface()
		st := Pass
		if d, ok := v.(deprecatedAt); ok && target.atLeast(kubeVersion(verOf(d.APILifecycleDeprecated()))) {
			st = Warn
		}
		if rm, ok := v.(removedAt); ok && target.atLeast(kubeVersion(verOf(rm.APILifecycleRemoved()))) {
			st = Fail
		}
		if st == Pass {
			continue
		}
		name := strings.ToLower(gvk.Kind + "-" + gvk.Version + "-" + strings.ReplaceAll(gvk.Group, ".", "-"))
		fmt.Fprintf(&doc, "---\napiVersion: %s\nkind: %s\nmetadata: {name: %s}\n", gvk.GroupVersion(), gvk.Kind, name)
		want[name] = st
	}
	dir := t.TempDir()
	objs := decodeFile(t, dir, "bundle.yaml", doc.String())
	r := Run(context.Background(), Input{Release: testRelease(dir), Objects: objs, KubeVersion: "1.37"})
	got := map[string]Status{}
	for _, c := range r.Checks {
		if c.ID == IDAPIVersion && c.Status != Pass {
			if c.Source.Line == 0 || !strings.Contains(c.Message, "Kubernetes") {
				t.Errorf("finding without line or release: %+v", c)
			}
			got[c.Object.Name] = c.Status
		}
	}
	var removed, deprecated []string
	for name, st := range want {
		if got[name] != st {
			t.Errorf("%s: got %q, want %q", name, got[name], st)
		}
		if st == Fail {
			removed = append(removed, name)
		} else {
			deprecated = append(deprecated, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s, but k8s.io/api marks it neither removed nor deprecated by 1.37", name, got[name])
		}
	}
	sort.Strings(deprecated)
	if len(removed) < 60 || len(deprecated) < 15 {
		t.Fatalf("only %d removed and %d deprecated kinds checked", len(removed), len(deprecated))
	}
	t.Logf("%d kinds removed by 1.37 flagged, %d deprecated warned: %s", len(removed), len(deprecated), strings.Join(deprecated, ", "))
}

func verOf(major, minor int) kubeVersion { return kubeVersion{major, minor} }

func TestAPIVersionsOfNewKinds(t *testing.T) {
	cases := []struct {
		name, version, doc string
		want               []string
	}{
		{"removed by 1.37 (the old table stopped at 1.33)", "1.37", `apiVersion: admissionregistration.k8s.io/v1beta1
kind: ValidatingAdmissionPolicy
metadata: {name: p}
---
apiVersion: storage.k8s.io/v1beta1
kind: VolumeAttributesClass
metadata: {name: v}
driverName: x
`, []string{
			`fail 1: ValidatingAdmissionPolicy p: admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicy was removed in Kubernetes 1.34 (target 1.37): use admissionregistration.k8s.io/v1`,
			`fail 5: VolumeAttributesClass v: storage.k8s.io/v1beta1 VolumeAttributesClass was removed in Kubernetes 1.37 (target 1.37): use storage.k8s.io/v1`,
		}},
		{"deprecated at 1.37", "1.37", `apiVersion: resource.k8s.io/v1beta2
kind: DeviceClass
metadata: {name: d}
`, []string{
			`warn 1: DeviceClass d: resource.k8s.io/v1beta2 DeviceClass is deprecated since Kubernetes 1.36 and removed in 1.39: use resource.k8s.io/v1`,
		}},
		{"not yet served by an older target", "1.30", `apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: d}
`, []string{
			`fail 1: DeviceClass d: resource.k8s.io/v1 DeviceClass was introduced in Kubernetes 1.34 (target 1.30): the target does not serve it`,
		}},
		{"a version k8s.io/api keeps but no release serves", "1.37", `apiVersion: rbac.authorization.k8s.io/v1alpha1
kind: Role
metadata: {name: r}
`, []string{
			`fail 1: Role shop/r: rbac.authorization.k8s.io/v1alpha1 Role is not served by Kubernetes 1.37 (target 1.37): use rbac.authorization.k8s.io/v1`,
		}},
		{"a version k8s.io/api dropped", "1.37", `apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: psp}
`, []string{
			`fail 1: PodSecurityPolicy psp: policy/v1beta1 PodSecurityPolicy was removed in Kubernetes 1.25 (target 1.37): use Pod Security Admission`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			objs := decodeFile(t, dir, "bundle.yaml", tc.doc)
			r := Run(context.Background(), Input{Release: testRelease(dir), Objects: objs, KubeVersion: tc.version})
			assertProblems(t, familyProblems(r, IDAPIVersion), tc.want)
		})
	}
}

// TestCRDsFromOutsideTheBundle: spec.check.crds gives offline schemas; a
// v1beta1 CRD is still read (and warned about), a folder's other files
// are passed over and named.
func TestCRDsFromOutsideTheBundle(t *testing.T) {
	dir := t.TempDir()
	crds := filepath.Join(dir, "crds")
	if err := os.MkdirAll(crds, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(crds, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("gadgets.yaml", `apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  version: v1
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets}
  validation:
    openAPIV3Schema:
      type: object
      properties:
        spec:
          type: object
          properties: {size: {type: integer, minimum: 1}}
`)
	write("widgets.yaml", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {shape: {type: string}}}
`)
	write("schema.json", `{"type": "object"}`)
	rel := testRelease(dir)
	rel.Spec.Check.CRDs = []string{"crds"}
	objs := decodeFile(t, dir, "bundle.yaml", `apiVersion: example.com/v1
kind: Gadget
metadata: {name: ok}
spec: {size: 2}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: bad}
spec: {size: 0, colour: red}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {shape: 3}
`)
	r := Run(context.Background(), Input{Release: rel, Objects: objs})
	assertProblems(t, familyProblems(r, IDSchema), []string{
		`fail 9: Gadget shop/bad: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1 (CRD gadgets.example.com)`,
		`fail 9: Gadget shop/bad: unknown field "spec.colour" (not in the schema of CRD gadgets.example.com)`,
		`fail 14: Widget shop/w: spec.shape: Invalid value: "integer": spec.shape in body must be of type string`,
	})
	assertProblems(t, familyProblems(r, IDAPIVersion), []string{
		`warn 1: CustomResourceDefinition gadgets.example.com: apiextensions.k8s.io/v1beta1 CustomResourceDefinition was removed in Kubernetes 1.22 (target 1.37): use apiextensions.k8s.io/v1; kship reads its schema`,
	})
	for _, c := range r.Checks {
		if c.ID == IDAPIVersion && c.Status == Warn && c.Source.File != "crds/gadgets.yaml" {
			t.Errorf("the v1beta1 CRD's finding is at %q, want crds/gadgets.yaml", c.Source.File)
		}
	}
	if r.Blocking() != true {
		t.Error("invalid custom resources do not block")
	}
}
