package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kship/kship/internal/access"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/gitops"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
)

// printedRBACKubeconfig creates ServiceAccount deployer in ns with exactly
// the RBAC objects `kship rbac` prints for file, and writes a kubeconfig
// that authenticates as it.
func printedRBACKubeconfig(t *testing.T, env *testenv.Env, admin kubernetes.Interface, ns, file string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, needs, err := release.Permissions(ctx, file, "", false)
	if err != nil {
		t.Fatal(err)
	}
	sa := &access.Subject{Kind: "ServiceAccount", Namespace: ns, Name: "deployer"}
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, o := range needs.Objects("app", sa) {
		switch o := o.(type) {
		case *rbacv1.Role:
			_, err = admin.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
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
	ttl := int64(3600)
	tok, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "deployer", &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &ttl}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AuthInfos = map[string]*clientcmdapi.AuthInfo{"deployer": {Token: tok.Status.Token}}
	for _, c := range cfg.Contexts {
		c.AuthInfo = "deployer"
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// A gitops release whose push credentials are a Secret in a namespace of
// their own (spec.gitops.credentials.secretRef), deployed by an identity
// that has exactly the roles `kship rbac` prints: check and deploy read
// the Secret (the printed Role in that namespace grants get on it alone),
// push through the basic-auth proxy and Flux applies the commit. Without
// that rule kship could not read the Secret and refused (exit 2).
func TestGitOpsCredentialsUnderPrintedRBAC(t *testing.T) {
	env := testenv.Get(t)
	if env.Git == "" {
		t.Fatal("the environment has no git server (KSHIP_GIT)")
	}
	kc, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ns := testenv.Namespace(t, env, "cli-gitrbac-")
	authNS := testenv.Namespace(t, env, "cli-gitrbac-auth-")
	dir := t.TempDir()
	const user, token = "kship-e2e", "Rb4c-git-t0ken-5d1f"
	proxy := startAuthGit(t, env.Git, user, token)
	repoPath := "/kship-e2e/" + ns + ".git"
	repo, open := proxy.url+repoPath, env.Git+repoPath

	seed := filepath.Join(dir, "seed")
	gitRun(t, dir, "init", "--quiet", "--initial-branch=main", seed)
	writeFiles(t, seed, map[string]string{"README.md": "the team's repository\n"})
	gitRun(t, seed, "add", "README.md")
	gitRun(t, seed, "commit", "--quiet", "-m", "start")
	gitRun(t, seed, "push", "--quiet", open, "main")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	for _, s := range []struct{ ns, name string }{{ns, "git-credentials"}, {authNS, "kship-push"}} {
		if _, err := kc.Typed.CoreV1().Secrets(s.ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: s.name},
			StringData: map[string]string{"username": user, "password": token}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, obj := range []map[string]any{
		{"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "metadata": map[string]any{"name": "app", "namespace": ns},
			"spec": map[string]any{"url": repo, "interval": "10m", "timeout": "30s", "ref": map[string]any{"branch": "main"},
				"secretRef": map[string]any{"name": "git-credentials"}}},
		{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": map[string]any{"name": "app", "namespace": ns},
			"spec": map[string]any{"interval": "10m", "path": "./apps/app", "prune": true, "timeout": "1m",
				"sourceRef": map[string]any{"kind": "GitRepository", "name": "app"}}},
	} {
		u := &unstructured.Unstructured{Object: obj}
		res := gitops.GitRepositoriesResource
		if u.GetKind() == "Kustomization" {
			res = gitops.KustomizationsResource
		}
		if _, err := kc.Dynamic.Resource(res).Namespace(ns).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s: %v", u.GetKind(), err)
		}
	}

	file := gitopsCredRelease(t, env, dir, ns, repo, "v1", fmt.Sprintf("{secretRef: {namespace: %s, name: kship-push}}", authNS))
	out, code := run(t, "rbac", "-f", file, "--kubeconfig", env.Kubeconfig)
	if code != exitcode.OK || !strings.Contains(out, "secrets [kship-push] [get] (namespace "+authNS+")") {
		t.Fatalf("kship rbac: exit %d, no get on Secret %s/kship-push:\n%s", code, authNS, out)
	}
	restricted := printedRBACKubeconfig(t, env, kc.Typed, ns, file)
	// The authorizer sees new roles through a watch: check until it passes.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, code = run(t, "check", "-f", file, "--kubeconfig", restricted, "--evidence-dir", filepath.Join(dir, "evidence"))
		if code == exitcode.OK || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if code != exitcode.OK {
		t.Fatalf("kship check as the printed roles' ServiceAccount: exit %d\n%s", code, out)
	}
	out, code = run(t, "deploy", "-f", file, "--kubeconfig", restricted, "--evidence-dir", filepath.Join(dir, "evidence"))
	if code != exitcode.OK {
		t.Fatalf("kship deploy as the printed roles' ServiceAccount: exit %d\n%s", code, out)
	}
	sha, _, _ := strings.Cut(gitRun(t, dir, "ls-remote", open, "refs/heads/main"), "\t")
	k, err := kc.Dynamic.Resource(gitops.KustomizationsResource).Namespace(ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
	if pushes, _ := proxy.counts(); pushes != 1 || !strings.HasSuffix(applied, sha) {
		t.Errorf("%d pushes through the proxy, Flux applied %q, head %s: want kship's one push applied", pushes, applied, sha)
	}
	if strings.Contains(out, token) {
		t.Error("the token is in deploy's output")
	}
}
