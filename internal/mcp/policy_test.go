package mcp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/manifest"
)

func writePolicy(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodPolicy = `apiVersion: kship.dev/v1alpha1
kind: MCPPolicy
spec:
  allow:
    - context: local
      namespaces: [shop, "team-*"]
      releases: ["*"]
      approval: none
    - context: local
      namespaces: ["team-prod*"]
      releases: [web]
      approval: required
  planTTL: 10m
`

func TestPolicyDecide(t *testing.T) {
	p, err := LoadPolicy(writePolicy(t, goodPolicy))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ctx, ns, name     string
		allowed, approval bool
	}{
		{"local", "shop", "web", true, false},
		{"local", "team-a", "api", true, false},
		{"local", "team-prod-1", "web", true, true}, // the strictest matching rule wins
		{"local", "team-prod-1", "api", true, false},
		{"local", "shopping", "web", false, false},
		{"other", "shop", "web", false, false},
	}
	for _, tt := range tests {
		d := p.Decide(tt.ctx, tt.ns, tt.name)
		if d.Allowed != tt.allowed || d.ApprovalRequired != tt.approval || d.Reason == "" {
			t.Errorf("%s/%s/%s: %+v", tt.ctx, tt.ns, tt.name, d)
		}
	}
	if p.PlanTTL().Minutes() != 10 {
		t.Errorf("ttl %v", p.PlanTTL())
	}
	var none *Policy
	if d := none.Decide("local", "shop", "web"); d.Allowed || !strings.Contains(d.Reason, "read-only") {
		t.Errorf("no policy: %+v", d)
	}
}

// TestPolicyIsStrict: every mistake is named with its line.
func TestPolicyIsStrict(t *testing.T) {
	tests := []struct{ doc, want string }{
		{strings.Replace(goodPolicy, "approval: none", "aproval: none", 1), `:8: unknown field "aproval" in spec.allow[0]; did you mean "approval"?`},
		{strings.Replace(goodPolicy, "approval: none", "approval: maybe", 1), `:8: spec.allow[0].approval must be "none" or "required"`},
		{strings.Replace(goodPolicy, "context: local\n      namespaces: [shop", "context: \"*\"\n      namespaces: [shop", 1), "context must name one kubeconfig context exactly"},
		{strings.Replace(goodPolicy, `"team-*"`, `"te*m"`, 1), `"te*m" is not a name or a prefix`},
		{strings.Replace(goodPolicy, "releases: [web]", "releases: []", 1), "releases must list at least one name"},
		{strings.Replace(goodPolicy, "kind: MCPPolicy", "kind: Release", 1), ":2: kind must be MCPPolicy"},
		{strings.Replace(goodPolicy, "planTTL: 10m", "planTTL: 48h", 1), "spec.planTTL must be between"},
		{strings.Replace(goodPolicy, "planTTL: 10m", "planTTL: 10", 1), ":13: spec.planTTL must be a duration"},
		{"apiVersion: kship.dev/v1alpha1\nkind: MCPPolicy\nspec: {}\n", "spec.allow must list at least one rule"},
	}
	for _, tt := range tests {
		_, err := LoadPolicy(writePolicy(t, tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}

// TestPolicyBoundsEveryObject: a release allowed in its namespace is
// refused when its manifests name another namespace or a cluster-scoped
// kind the rule does not list; an object in a protected namespace makes
// the whole release need approval.
func TestPolicyBoundsEveryObject(t *testing.T) {
	doc := strings.Replace(goodPolicy, "      approval: none\n", "      approval: none\n      clusterKinds: [ClusterRole]\n", 1)
	p, err := LoadPolicy(writePolicy(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	dep := func(ns string) manifest.Ref {
		return manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: ns, Name: "web"}
	}
	tests := []struct {
		name              string
		refs              []manifest.Ref
		allowed, approval bool
		want              string
	}{
		{"own namespace", []manifest.Ref{dep("shop"), {Kind: "Namespace", Name: "shop"}}, true, false, ""},
		{"another allowed namespace", []manifest.Ref{dep("shop"), dep("team-a")}, true, false, ""},
		{"a namespace outside", []manifest.Ref{dep("shop"), dep("kube-system")}, false, false, "Deployment kube-system/web"},
		{"a Namespace outside", []manifest.Ref{{Kind: "Namespace", Name: "kube-system"}}, false, false, "Namespace kube-system"},
		{"a listed cluster kind", []manifest.Ref{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "reader"}}, true, false, ""},
		{"an unlisted cluster kind", []manifest.Ref{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding", Name: "admin"}}, false, false, "ClusterRoleBinding"},
		{"an object in a protected namespace", []manifest.Ref{dep("shop"), dep("team-prod-1")}, true, true, "approval"},
	}
	for _, tt := range tests {
		d := p.DecideObjects("local", "shop", "web", tt.refs)
		if d.Allowed != tt.allowed || d.ApprovalRequired != tt.approval || !strings.Contains(d.Reason, tt.want) {
			t.Errorf("%s: %+v", tt.name, d)
		}
	}
	if _, err := LoadPolicy(writePolicy(t, strings.Replace(doc, "[ClusterRole]", `["Cluster*"]`, 1))); err == nil || !strings.Contains(err.Error(), "is not a kind") {
		t.Errorf("a kind pattern: %v", err)
	}
}
