package validate

import "testing"

// namespacesBundle has an object in the release's namespace, one in a
// namespace the bundle creates, one in another team's and one in
// kube-system.
const namespacesBundle = `apiVersion: v1
kind: Namespace
metadata: {name: shop-jobs}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: own}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: jobs, namespace: shop-jobs}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: theirs, namespace: billing}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
`

func TestNamespaceGuardrail(t *testing.T) {
	cases := []struct {
		name  string
		ns    string
		allow []string
		want  []string
	}{
		{name: "not allowed", ns: "shop", want: []string{
			"fail 15: ConfigMap billing/theirs: in namespace billing (not the release's namespace shop and not created by the bundle), which the release file does not allow: if the release may write there, add to the release file spec.allowNamespaces: [billing, kube-system]; otherwise move the object to shop",
			"fail 19: RoleBinding kube-system/reader: in namespace kube-system (a system namespace), which the release file does not allow: if the release may write there, add to the release file spec.allowNamespaces: [billing, kube-system]",
		}},
		{name: "the fix keeps what is allowed", ns: "shop", allow: []string{"billing"}, want: []string{
			"fail 19: RoleBinding kube-system/reader: in namespace kube-system (a system namespace), which the release file does not allow: if the release may write there, add to the release file spec.allowNamespaces: [billing, kube-system]",
		}},
		{name: "allowed", ns: "shop", allow: []string{"kube-system", "billing"}},
		{name: "a release in kube-system still names it", ns: "kube-system", allow: []string{"billing", "shop"}, want: []string{
			"fail 19: RoleBinding kube-system/reader: in namespace kube-system (a system namespace)",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rel := testRelease(t.TempDir())
			rel.Spec.Namespace, rel.Spec.AllowNamespaces = c.ns, c.allow
			assertProblems(t, familyProblems(runOffline(t, rel, namespacesBundle), IDGuardrail), c.want)
		})
	}
}
