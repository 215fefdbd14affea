package access

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

func objs(t *testing.T, docs ...string) []manifest.Object {
	t.Helper()
	var out []manifest.Object
	for _, d := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(d), &u.Object); err != nil {
			t.Fatal(err)
		}
		out = append(out, manifest.Object{Obj: u})
	}
	return out
}

// rules renders n as "ns group/resource[names] verbs" lines.
func rules(n *Needs) map[string]string {
	out := map[string]string{}
	for _, r := range n.Rules {
		k := r.Namespace + " " + r.Group + "/" + r.Resource
		if len(r.Names) > 0 {
			k += strings.Join(r.Names, ",")
		}
		out[k] = strings.Join(r.Verbs, ",")
	}
	return out
}

func TestFor(t *testing.T) {
	bundle := objs(t,
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: other}",
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}",
		"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com, scope: Namespaced, names: {kind: Widget, plural: widgetz}}",
		"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}",
	)
	rel := &config.Release{Spec: config.Spec{Namespace: "shop", Verify: config.Verify{Smoke: []config.SmokeCheck{{Name: "db", Job: &config.JobCheck{Image: "x"}}}}}}
	n, err := For(Input{Release: rel, Objects: bundle})
	if err != nil {
		t.Fatal(err)
	}
	got := rules(n)
	for k, want := range map[string]string{
		" /namespacesshop":                "get",
		"shop apps/deployments":           "get,list,watch,create,patch,delete",
		"other /configmaps":               "get,list,watch,create,patch,delete",
		"shop /configmaps":                "list",
		"shop /secrets":                   "get,list,create,update,delete",
		"shop coordination.k8s.io/leases": "get,create,update,delete",
		"shop /pods":                      "get,list,watch",
		"shop /events":                    "list,watch",
		"shop apps/replicasets":           "list,watch",
		" rbac.authorization.k8s.io/clusterrolesreader":                      "get,patch,delete",
		" rbac.authorization.k8s.io/clusterroles":                            "list,watch,create",
		"shop example.com/widgetz":                                           "get,list,watch,create,patch,delete",
		" apiextensions.k8s.io/customresourcedefinitions":                    "list,watch,create", // the bundle has a CRD
		" apiextensions.k8s.io/customresourcedefinitionswidgets.example.com": "get,patch,delete",
		"shop batch/jobs": "get,list,watch,create,delete",
		"shop /pods/log":  "get",
	} {
		if got[k] != want {
			t.Errorf("%q: verbs %q, want %q", k, got[k], want)
		}
	}
	if _, ok := got[" /namespaces"]; ok {
		t.Error("create of namespaces asked for an existing namespace")
	}
	n, _ = For(Input{Release: rel, Objects: bundle[:1], CreateNamespace: true})
	if rules(n)[" /namespaces"] != "create" {
		t.Errorf("no create of namespaces for a namespace kship creates: %v", rules(n))
	}
	if _, err := For(Input{Release: &config.Release{Spec: config.Spec{Namespace: "shop", Mechanism: "carrier-pigeon"}}}); err == nil {
		t.Error("an unknown mechanism gave permissions")
	}
	rel.Spec.Mechanism = config.MechanismHelm
	n, _ = For(Input{Release: rel, Objects: bundle[:1]})
	if v := rules(n)["shop /secrets"]; !strings.Contains(v, "patch") || !strings.Contains(v, "watch") {
		t.Errorf("helm: secrets %q lack Helm's storage verbs", v)
	}
	rel.Spec.Mechanism = config.MechanismGitOps
	if _, err := For(Input{Release: rel, Objects: bundle[:1]}); err == nil {
		t.Error("gitops without spec.gitops gave permissions")
	}
	rel.Spec.GitOps = &config.GitOps{Kustomization: &config.ObjectRef{Namespace: "flux-system", Name: "shop"}}
	n, err = For(Input{Release: rel, Objects: bundle[:1]})
	if err != nil {
		t.Fatal(err)
	}
	g := rules(n)
	if v := g["flux-system kustomize.toolkit.fluxcd.io/kustomizationsshop"]; v != "get,patch" {
		t.Errorf("gitops: the Kustomization's own rule is %q, want get,patch: %v", v, g)
	}
	if v := g["flux-system source.toolkit.fluxcd.io/gitrepositories"]; !strings.Contains(v, "patch") {
		t.Errorf("gitops: gitrepositories %q lack patch (reconcile now): %v", v, g)
	}
	if _, ok := g["flux-system /secrets"]; ok {
		t.Errorf("gitops without credentials: a rule on Secrets in flux-system: %v", g)
	}
}

// The Secret a gitops release pushes with (credentials.secretRef) is read
// where it lives: a get on that one Secret, by name, in its namespace,
// printed in that namespace's Role.
func TestForGitOpsCredentialsSecret(t *testing.T) {
	rel := &config.Release{Spec: config.Spec{Namespace: "shop", Mechanism: config.MechanismGitOps, GitOps: &config.GitOps{
		Kustomization: &config.ObjectRef{Namespace: "flux-system", Name: "shop"},
		Credentials:   &config.GitCredentials{SecretRef: &config.ObjectRef{Namespace: "git-auth", Name: "push-token"}},
	}}}
	n, err := For(Input{Release: rel, Objects: objs(t, "apiVersion: v1\nkind: Service\nmetadata: {name: web}")})
	if err != nil {
		t.Fatal(err)
	}
	g := rules(n)
	if v := g["git-auth /secretspush-token"]; v != "get" {
		t.Errorf("the credentials Secret git-auth/push-token: verbs %q, want get: %v", v, g)
	}
	if _, ok := g["git-auth /secrets"]; ok {
		t.Errorf("a rule on every Secret of git-auth: %v", g)
	}
	b, err := n.YAML("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: kship-web
  namespace: git-auth
rules:
- apiGroups:
  - ""
  resourceNames:
  - push-token
  resources:
  - secrets
  verbs:
  - get
`
	if !strings.Contains(string(b), "---\n"+want) {
		t.Errorf("kship rbac has no Role in git-auth granting get on Secret push-token alone:\n%s", b)
	}
	if !strings.Contains(string(b), "secrets [push-token] [get] (namespace git-auth): gitops: the git credentials") {
		t.Errorf("kship rbac does not say what the rule is for:\n%s", b)
	}

	// Credentials from kship's environment need no Secret.
	rel.Spec.GitOps.Credentials = &config.GitCredentials{PasswordEnv: "GIT_TOKEN"}
	n, _ = For(Input{Release: rel})
	for k := range rules(n) {
		if strings.HasPrefix(k, "git-auth ") {
			t.Errorf("credentials from the environment: rule %q", k)
		}
	}
}

func TestYAMLIsRBAC(t *testing.T) {
	n, err := For(Input{Release: &config.Release{Spec: config.Spec{Namespace: "shop"}},
		Objects: objs(t, "apiVersion: v1\nkind: Service\nmetadata: {name: web}")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.YAML("web", &Subject{Kind: "ServiceAccount", Namespace: "shop", Name: "deployer"})
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, doc := range strings.Split(string(b), "\n---\n")[1:] {
		u := map[string]any{}
		if err := yaml.Unmarshal([]byte(doc), &u); err != nil {
			t.Fatalf("%v:\n%s", err, doc)
		}
		kinds = append(kinds, u["kind"].(string))
	}
	if strings.Join(kinds, ",") != "Role,RoleBinding,ClusterRole,ClusterRoleBinding" {
		t.Errorf("kinds %v", kinds)
	}
	if !strings.Contains(string(b), "# The permissions kship needs") || !strings.Contains(string(b), "services [get list watch create patch delete] (namespace shop)") {
		t.Errorf("no comment saying what each rule is for:\n%s", b)
	}
}
