package release_test

import (
	"context"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kship/kship/internal/access"
	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/validate"
)

// grantAsServiceAccount creates ServiceAccount deployer in the release
// namespace with exactly the roles `kship rbac` prints for file, and
// returns clients authenticated as it.
func grantAsServiceAccount(t *testing.T, r *e2eRelease, admin kubernetes.Interface, file string) (*kube.Clients, *rbacv1.Role) {
	t.Helper()
	ctx := t.Context()
	_, needs, err := release.Permissions(ctx, file, "", false)
	if err != nil {
		t.Fatal(err)
	}
	sa := &access.Subject{Kind: "ServiceAccount", Namespace: r.ns, Name: "deployer"}
	if _, err := admin.CoreV1().ServiceAccounts(r.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var role *rbacv1.Role
	for _, o := range needs.Objects("app", sa) {
		switch o := o.(type) {
		case *rbacv1.Role:
			role, err = admin.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			_, err = admin.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRole:
			_, err = admin.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
			name := o.Name
			t.Cleanup(func() { _ = admin.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{}) })
		case *rbacv1.ClusterRoleBinding:
			_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
			name := o.Name
			t.Cleanup(func() {
				_ = admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
			})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if role == nil || role.Namespace != r.ns {
		t.Fatalf("kship rbac printed no Role for namespace %s", r.ns)
	}
	ttl := int64(3600)
	tok, err := admin.CoreV1().ServiceAccounts(r.ns).CreateToken(ctx, "deployer", &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &ttl}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(r.env.RESTConfig)
	cfg.BearerToken = tok.Status.Token
	clients, err := kube.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return clients, role
}

// A release deployed, broken and rolled back by an identity that has only
// the roles kship rbac printed: the whole cycle works. With one verb fewer
// (watch on pods, which the failure detector needs), check refuses the
// release naming the verb and the resource, and deploy writes nothing.
func TestE2ELeastPrivilegeCycle(t *testing.T) {
	r := newE2ERelease(t, "trust-rbac-")
	admin := r.clients
	v1 := r.write(e2eApp{version: "v1", secret: "rbac-token-one-7c1d"})
	restricted, role := grantAsServiceAccount(t, r, admin.Typed, v1)
	r.clients = restricted

	r.expect(r.deploy(v1), 0)
	if img := r.image(); img != "app:v1" {
		t.Fatalf("image %q after v1, want app:v1", img)
	}
	out := r.deploy(r.write(e2eApp{version: "v2", secret: "rbac-token-two-7c1d", behavior: "crashloop", extra: []string{"only-v2"}}))
	r.expect(out, 3)
	if img, cm := r.image(), r.configMap("only-v2"); img != "app:v1" || cm != nil {
		t.Fatalf("after the rollback: image %q, ConfigMap only-v2 %v; want app:v1 and no ConfigMap", img, cm)
	}

	// One verb fewer.
	ctx := t.Context()
	for i, rule := range role.Rules {
		if len(rule.Resources) == 1 && rule.Resources[0] == "pods" && rule.APIGroups[0] == "" {
			var verbs []string
			for _, v := range rule.Verbs {
				if v != "watch" {
					verbs = append(verbs, v)
				}
			}
			role.Rules[i].Verbs = verbs
		}
	}
	if _, err := admin.Typed.RbacV1().Roles(r.ns).Update(ctx, role, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	v3 := r.write(e2eApp{version: "v3", secret: "rbac-token-three-7c1d"})
	want := "watch on pods in namespace " + r.ns
	var finding string
	deadline := time.Now().Add(30 * time.Second) // the authorizer sees the Role's update through a watch
	for finding == "" && time.Now().Before(deadline) {
		p, err := release.Prepare(ctx, release.PrepareOptions{ReleaseFile: v3, Clients: restricted, EvidenceDir: r.evidence, ReadHistory: true, Catalog: cli.Catalog()})
		if err != nil {
			t.Fatalf("check: %v", err)
		}
		for _, c := range p.Report.Checks {
			if c.Status == validate.Fail && strings.Contains(c.Message, want) {
				finding = c.Message
			}
		}
		if finding == "" {
			time.Sleep(time.Second)
		}
	}
	if finding == "" {
		t.Fatalf("check does not name the missing %q", want)
	}
	revs, err := record.NewReader(admin.Typed).List(ctx, r.ns, "app")
	if err != nil {
		t.Fatal(err)
	}
	out = r.deploy(v3)
	r.expect(out, 2)
	after, err := record.NewReader(admin.Typed).List(ctx, r.ns, "app")
	if err != nil {
		t.Fatal(err)
	}
	if img := r.image(); img != "app:v1" || len(after) != len(revs) {
		t.Errorf("a refused deploy wrote: image %q (want app:v1), %d revisions (want %d)", img, len(after), len(revs))
	}
}
