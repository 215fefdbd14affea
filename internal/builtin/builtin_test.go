package builtin

import (
	"os/exec"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/builtin/internal/apis"
)

// TestTableIsCurrent fails when k8s.io/api was upgraded (or the table
// edited) without regenerating it: the table must come from the k8s.io/api
// kship is built with, and hold exactly the lifecycle compiled into its
// types.
func TestTableIsCurrent(t *testing.T) {
	const hint = "; run go generate ./internal/builtin"
	// The build list of the module, as the build selects it (test
	// binaries carry no module versions of their own).
	out, err := exec.Command("go", "list", "-m", "-f", "{{with .Replace}}{{.Version}}{{else}}{{.Version}}{{end}}", "k8s.io/api").Output()
	if err != nil {
		t.Fatalf("go list -m k8s.io/api: %v", err)
	}
	built := strings.TrimSpace(string(out))
	if built != GeneratedFrom {
		t.Errorf("the table was generated from k8s.io/api %s but kship builds with %s%s", GeneratedFrom, built, hint)
	}
	if want := "1" + strings.TrimPrefix(strings.TrimPrefix(GeneratedFrom, "v"), "0"); ServerRelease != want {
		t.Errorf("ServerRelease %s does not match k8s.io/api %s (want %s)%s", ServerRelease, GeneratedFrom, want, hint)
	}
	table := map[schema.GroupVersionKind]Kind{}
	for _, k := range kinds {
		table[k.GVK] = k
	}
	objects := apis.Objects(apis.Served())
	for gvk, typ := range objects {
		row, ok := table[gvk]
		if !ok {
			t.Errorf("%s is a kind of k8s.io/api %s but not in the table%s", gvk, built, hint)
			continue
		}
		l, _ := apis.LifecycleOf(typ)
		if row.Lifecycle != l {
			t.Errorf("%s: table lifecycle %+v, k8s.io/api says %+v%s", gvk, row.Lifecycle, l, hint)
		}
	}
	for gvk, row := range table {
		if _, ok := objects[gvk]; !ok && !row.Served {
			t.Errorf("%s is in the table but neither served nor a kind of k8s.io/api%s", gvk, hint)
		}
	}
}

// TestGoneAreNotInKubernetesAPI keeps the hand-written history to what the
// generated table cannot know.
func TestGoneAreNotInKubernetesAPI(t *testing.T) {
	known := apis.Served().AllKnownTypes()
	for _, g := range gone {
		if _, ok := known[g.GVK]; ok {
			t.Errorf("%s is a kind of k8s.io/api again: drop it from gone.go (the generated table knows it)", g.GVK)
		}
		for _, k := range kinds {
			if k.GVK == g.GVK {
				t.Errorf("%s is both generated and in gone.go", g.GVK)
			}
		}
		if g.Lifecycle.Removed == (Version{}) || g.Replacement() == "" || g.Scope == Unknown {
			t.Errorf("%s: a gone API version needs its removal, a replacement and its scope", g.GVK)
		}
	}
}

func gvk(gv, kind string) schema.GroupVersionKind {
	v, err := schema.ParseGroupVersion(gv)
	if err != nil {
		panic(err)
	}
	return v.WithKind(kind)
}

func TestKindsOfTheAPIServer(t *testing.T) {
	cases := []struct {
		gvk                 schema.GroupVersionKind
		applicable, hasType bool
		scope               Scope
	}{
		{gvk("apiregistration.k8s.io/v1", "APIService"), true, true, Cluster},
		{gvk("apiextensions.k8s.io/v1", "CustomResourceDefinition"), true, true, Cluster},
		{gvk("apps/v1", "Deployment"), true, true, Namespaced},
		{gvk("v1", "Namespace"), true, true, Cluster},
		{gvk("resource.k8s.io/v1", "DeviceTaintRule"), true, true, Cluster},
		{gvk("certificates.k8s.io/v1", "PodCertificateRequest"), true, true, Namespaced},
		{gvk("authentication.k8s.io/v1", "TokenReview"), false, true, Cluster},
		{gvk("policy/v1", "Eviction"), false, true, Namespaced},
		{gvk("v1", "ComponentStatus"), false, true, Cluster},
		{gvk("extensions/v1beta1", "Deployment"), false, true, Namespaced},
	}
	for _, tc := range cases {
		k, ok := Lookup(tc.gvk)
		if !ok {
			t.Errorf("%s: not in the table", tc.gvk)
			continue
		}
		if k.Applicable() != tc.applicable || (Type(tc.gvk) != nil) != tc.hasType || ScopeOf(tc.gvk.GroupKind()) != tc.scope {
			t.Errorf("%s: applicable %v, type %v, scope %v; want %v, %v, %v", tc.gvk, k.Applicable(), Type(tc.gvk) != nil, ScopeOf(tc.gvk.GroupKind()), tc.applicable, tc.hasType, tc.scope)
		}
		if !tc.applicable && k.Served && k.NotApplicable() == "" {
			t.Errorf("%s: served, not applicable, and no reason", tc.gvk)
		}
	}
	if _, ok := Lookup(gvk("monitoring.coreos.com/v1", "ServiceMonitor")); ok || ScopeOf(schema.GroupKind{Group: "monitoring.coreos.com", Kind: "ServiceMonitor"}) != Unknown {
		t.Error("a custom resource is taken for a built-in kind")
	}
}

func TestReplacement(t *testing.T) {
	for in, want := range map[schema.GroupVersionKind]string{
		gvk("extensions/v1beta1", "Deployment"):                                  "apps/v1 Deployment",
		gvk("networking.k8s.io/v1beta1", "IngressClass"):                         "networking.k8s.io/v1",            // the tag names IngressClassList
		gvk("admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy"): "admissionregistration.k8s.io/v1", // no tag: the served version
		gvk("policy/v1beta1", "PodSecurityPolicy"):                               podSecurityAdmission,
		gvk("autoscaling/v2beta2", "HorizontalPodAutoscaler"):                    "autoscaling/v2",
	} {
		k, ok := Lookup(in)
		if !ok {
			t.Errorf("%s: not in the table", in)
			continue
		}
		if got := k.Replacement(); got != want {
			t.Errorf("%s: replacement %q, want %q", in, got, want)
		}
	}
}

func TestNotAnObject(t *testing.T) {
	for in, want := range map[schema.GroupVersionKind]string{
		gvk("audit.k8s.io/v1", "Policy"):                             "audit policy file",
		gvk("audit.k8s.io/v1", "Event"):                              "audit event",
		gvk("admission.k8s.io/v1", "AdmissionReview"):                "admission webhook",
		gvk("apiserver.config.k8s.io/v1", "EncryptionConfiguration"): "configuration file of kube-apiserver",
		gvk("v1", "PodList"):                                         "write each Pod as its own document",
		gvk("v1", "DeleteOptions"):                                   "not an object of the API",
	} {
		if got := NotAnObject(in); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want it to say %q", in, got, want)
		}
	}
	for _, k := range []schema.GroupVersionKind{gvk("apps/v1", "Deployment"), gvk("example.com/v1", "Widget"), gvk("v1", "Widget")} {
		if got := NotAnObject(k); got != "" {
			t.Errorf("%s: %q, want none", k, got)
		}
	}
}
