package access

import (
	"bytes"
	"fmt"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Subject is who the printed bindings bind the roles to: a ServiceAccount
// (Kind "ServiceAccount", with its namespace), a User or a Group.
type Subject = rbacv1.Subject

// Objects returns the RBAC objects granting n: a Role per namespace and
// one ClusterRole for the cluster-scoped rules, named after the release,
// and, when subject is set, the RoleBindings and ClusterRoleBinding giving
// them to it.
func (n *Needs) Objects(release string, subject *Subject) []any {
	byNS := map[string][]rbacv1.PolicyRule{}
	for _, r := range n.Rules {
		byNS[r.Namespace] = append(byNS[r.Namespace], policyRule(r))
	}
	name := "kship-" + release
	var out []any
	namespaces := make([]string, 0, len(byNS))
	for ns := range byNS {
		if ns != "" {
			namespaces = append(namespaces, ns)
		}
	}
	sort.Strings(namespaces)
	for _, ns := range namespaces {
		out = append(out, &rbacv1.Role{TypeMeta: typeMeta("Role"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: byNS[ns]})
		if subject != nil {
			out = append(out, &rbacv1.RoleBinding{TypeMeta: typeMeta("RoleBinding"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, Subjects: []rbacv1.Subject{*subject}})
		}
	}
	if rules := byNS[""]; len(rules) > 0 {
		// One ClusterRole per release and namespace: it names the namespace.
		cname := fmt.Sprintf("%s-%s", name, n.Namespace)
		out = append(out, &rbacv1.ClusterRole{TypeMeta: typeMeta("ClusterRole"), ObjectMeta: metav1.ObjectMeta{Name: cname}, Rules: rules})
		if subject != nil {
			out = append(out, &rbacv1.ClusterRoleBinding{TypeMeta: typeMeta("ClusterRoleBinding"), ObjectMeta: metav1.ObjectMeta{Name: cname},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cname}, Subjects: []rbacv1.Subject{*subject}})
		}
	}
	return out
}

// YAML prints Objects as a multi-document YAML stream, each rule's use in
// a comment at the top.
func (n *Needs) YAML(release string, subject *Subject) ([]byte, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# The permissions kship needs to plan, check, deploy and roll back release %s\n", release)
	fmt.Fprintf(&buf, "# in namespace %s (kship rbac). What each rule is for:\n", n.Namespace)
	for _, r := range n.Rules {
		where := "namespace " + r.Namespace
		if r.Namespace == "" {
			where = "cluster"
		}
		res := r.Resource
		if r.Group != "" {
			res += "." + r.Group
		}
		if len(r.Names) > 0 {
			res += fmt.Sprintf(" %v", r.Names)
		}
		fmt.Fprintf(&buf, "#   %s %v (%s): %s\n", res, r.Verbs, where, r.Why)
	}
	for _, o := range n.Objects(release, subject) {
		b, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		buf.WriteString("---\n")
		buf.Write(bytes.ReplaceAll(b, []byte("  creationTimestamp: null\n"), nil))
	}
	return buf.Bytes(), nil
}

func policyRule(r Rule) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{r.Group}, Resources: []string{r.Resource}, Verbs: r.Verbs, ResourceNames: r.Names}
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: kind}
}
