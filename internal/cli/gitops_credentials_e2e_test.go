package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/gitops"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/testenv"
)

// authGit is a basic-auth reverse proxy on loopback in front of the
// environment's git server: the repository needs credentials, as a
// hosted one does, without changing the shared server.
type authGit struct {
	user, pass string
	url        string // the proxy's base URL
	mu         sync.Mutex
	// pushes counts the receive-pack requests that got through (a push);
	// refused counts the requests answered 401 that carried credentials.
	pushes, refused int
}

func startAuthGit(t *testing.T, upstream, user, pass string) *authGit {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	g := &authGit{user: user, pass: pass}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Header.Del("Authorization")
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != g.user || p != g.pass {
			g.mu.Lock()
			if ok {
				g.refused++
			}
			g.mu.Unlock()
			w.Header().Set("WWW-Authenticate", `Basic realm="kship-e2e"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			g.mu.Lock()
			g.pushes++
			g.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	g.url = "http://" + ln.Addr().String()
	return g
}

func (g *authGit) counts() (pushes, refused int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pushes, g.refused
}

// gitRun runs git without the user's configuration.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=a human", "GIT_AUTHOR_EMAIL=human@kship.invalid",
		"GIT_COMMITTER_NAME=a human", "GIT_COMMITTER_EMAIL=human@kship.invalid")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitopsCredRelease writes a gitops release file of the app at version,
// with the given credentials lines, and its manifests.
func gitopsCredRelease(t *testing.T, env *testenv.Env, dir, ns, repo, version, credentials string) string {
	t.Helper()
	spec := fmt.Sprintf("  mechanism: gitops\n  gitops:\n    repository: %s\n    path: apps/app\n    kustomization: {namespace: %s, name: app}\n    credentials: %s\n",
		repo, ns, credentials)
	rel := testenv.DemoRelease{Namespace: ns, Source: "./" + version, Spec: spec, Retries: 5, Backoff: "1s", Timeout: "3s"}
	writeFiles(t, dir, map[string]string{
		version + "/app.yaml":        testenv.DemoApp{Version: version, Readiness: true}.Manifests(),
		"kship-" + version + ".yaml": rel.YAML(env),
	})
	return filepath.Join(dir, "kship-"+version+".yaml")
}

// A gitops release whose repository needs credentials (a basic-auth proxy
// in front of the git server): Flux's GitRepository fetches with a Secret
// (spec.secretRef), and kship pushes with the same Secret
// (spec.gitops.credentials.secretRef), then with a token from its
// environment (passwordEnv): each good commit exit 0, pushed through the
// proxy and applied by the real Flux. A wrong token is refused by kship
// check and kship deploy before any write (exit 2: no push, no revision),
// naming where the refused credentials came from. Neither the token nor
// the wrong one is in any output (human and JSON), evidence file, stored
// revision, the Flux objects, or the repository's commits and files.
func TestGitOpsWithCredentials(t *testing.T) {
	env := testenv.Get(t)
	if env.Git == "" {
		t.Fatal("the environment has no git server (KSHIP_GIT)")
	}
	kc, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ns := testenv.Namespace(t, env, "cli-gitcred-")
	dir := t.TempDir()
	const user = "kship-e2e"
	token, wrong := "Pl4nt-git-t0k/n+x=&y:z@w", "Pl4nt-wrong-git-0b7e"
	planted := []plantedValue{{"the repository's token", token}, {"the wrong token", wrong}}
	proxy := startAuthGit(t, env.Git, user, token)
	repoPath := "/kship-e2e/" + ns + ".git"
	repo, open := proxy.url+repoPath, env.Git+repoPath

	// The team's repository (pushed to the server directly), the Secret
	// Flux and kship read, and Flux's GitRepository through the proxy.
	seed := filepath.Join(dir, "seed")
	gitRun(t, dir, "init", "--quiet", "--initial-branch=main", seed)
	writeFiles(t, seed, map[string]string{"README.md": "the team's repository\n"})
	gitRun(t, seed, "add", "README.md")
	gitRun(t, seed, "commit", "--quiet", "-m", "start")
	gitRun(t, seed, "push", "--quiet", open, "main")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := kc.Typed.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "git-credentials"},
		StringData: map[string]string{"username": user, "password": token}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	create := func(obj map[string]any) {
		t.Helper()
		u := &unstructured.Unstructured{Object: obj}
		res := gitops.GitRepositoriesResource
		if u.GetKind() == "Kustomization" {
			res = gitops.KustomizationsResource
		}
		if _, err := kc.Dynamic.Resource(res).Namespace(ns).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s: %v", u.GetKind(), err)
		}
	}
	create(map[string]any{"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": "app", "namespace": ns},
		"spec": map[string]any{"url": repo, "interval": "10m", "timeout": "30s", "ref": map[string]any{"branch": "main"},
			"secretRef": map[string]any{"name": "git-credentials"}}})
	create(map[string]any{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": "app", "namespace": ns},
		"spec": map[string]any{"interval": "10m", "path": "./apps/app", "prune": true, "timeout": "1m",
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "app"}}})

	head := func() string {
		t.Helper()
		sha, _, _ := strings.Cut(gitRun(t, dir, "ls-remote", open, "refs/heads/main"), "\t")
		return sha
	}
	applied := func() string {
		t.Helper()
		k, err := kc.Dynamic.Resource(gitops.KustomizationsResource).Namespace(ns).Get(ctx, "app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rev, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
		_, sha, _ := strings.Cut(rev, "sha1:")
		return sha
	}
	var outputs []string
	kship := func(want int, args ...string) string {
		t.Helper()
		out, code := run(t, append(args, "--kubeconfig", env.Kubeconfig, "--evidence-dir", filepath.Join(dir, "evidence"))...)
		outputs = append(outputs, strings.Join(args, " ")+"\n"+out)
		if code != want {
			t.Fatalf("kship %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}

	// The Secret Flux fetches with is the one kship pushes with.
	fromSecret := gitopsCredRelease(t, env, dir, ns, repo, "v1", fmt.Sprintf("{secretRef: {namespace: %s, name: git-credentials}}", ns))
	kship(exitcode.OK, "check", "-f", fromSecret)
	kship(exitcode.OK, "deploy", "-f", fromSecret)
	v1 := head()
	if p, _ := proxy.counts(); p != 1 || applied() != v1 {
		t.Fatalf("after v1: %d pushes through the proxy, Flux applied %q, head %s: want kship's one push applied by Flux", p, applied(), v1)
	}

	// A token from kship's environment.
	t.Setenv("KSHIP_E2E_GIT_USER", user)
	t.Setenv("KSHIP_E2E_GIT_TOKEN", token)
	fromEnv := gitopsCredRelease(t, env, dir, ns, repo, "v2", "{usernameEnv: KSHIP_E2E_GIT_USER, passwordEnv: KSHIP_E2E_GIT_TOKEN}")
	kship(exitcode.OK, "deploy", "-f", fromEnv, "-o", "json")
	v2 := head()
	if p, _ := proxy.counts(); p != 2 || v2 == v1 || applied() != v2 {
		t.Fatalf("after v2: %d pushes, Flux applied %q, head %s (v1 %s)", p, applied(), v2, v1)
	}
	d, err := kc.Typed.AppsV1().Deployments(ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil || d.Spec.Template.Spec.Containers[0].Image != "app:v2" {
		t.Fatalf("Deployment app after v2: %v", err)
	}

	// A wrong token: refused before any write, saying whose credentials.
	t.Setenv("KSHIP_E2E_GIT_TOKEN", wrong)
	bad := gitopsCredRelease(t, env, dir, ns, repo, "v3", "{usernameEnv: KSHIP_E2E_GIT_USER, passwordEnv: KSHIP_E2E_GIT_TOKEN}")
	for _, args := range [][]string{{"check", "-f", bad}, {"deploy", "-f", bad}, {"deploy", "-f", bad, "-o", "json"}} {
		out := kship(exitcode.Refused, args...)
		for _, want := range []string{"refused the credentials", "environment variables KSHIP_E2E_GIT_USER and KSHIP_E2E_GIT_TOKEN"} {
			if !strings.Contains(out, want) {
				t.Errorf("kship %s: the refusal lacks %q:\n%s", strings.Join(args, " "), want, out)
			}
		}
	}
	if p, refused := proxy.counts(); p != 2 || refused == 0 || head() != v2 {
		t.Errorf("after the wrong token: %d pushes (want 2), %d refused requests (want some), head %s (want v2's %s)", p, refused, head(), v2)
	}
	revs, err := record.NewReader(kc.Typed).List(ctx, ns, "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 2 {
		t.Errorf("%d revisions recorded, want 2: a refused deploy records nothing", len(revs))
	}

	// No token anywhere kship writes or shows.
	var leaks []leak
	for _, o := range outputs {
		leaks = append(leaks, findLeaks("output of kship "+strings.SplitN(o, "\n", 2)[0], []byte(o), planted)...)
	}
	written := 0
	err = filepath.WalkDir(filepath.Join(dir, "evidence"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		written++
		rel, _ := filepath.Rel(dir, path)
		leaks = append(leaks, findLeaks(rel, b, planted)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if written < 10 {
		t.Errorf("%d evidence files written: the grep would prove nothing", written)
	}
	for _, rev := range revs {
		js, err := json.Marshal(rev)
		if err != nil {
			t.Fatal(err)
		}
		leaks = append(leaks, findLeaks(fmt.Sprintf("revision %d record", rev.Number), js, planted)...)
	}
	for _, res := range []struct {
		name string
		list func() (any, error)
	}{
		{"GitRepositories", func() (any, error) {
			return kc.Dynamic.Resource(gitops.GitRepositoriesResource).Namespace(ns).List(ctx, metav1.ListOptions{})
		}},
		{"Kustomizations", func() (any, error) {
			return kc.Dynamic.Resource(gitops.KustomizationsResource).Namespace(ns).List(ctx, metav1.ListOptions{})
		}},
		{"ConfigMaps", func() (any, error) { return kc.Typed.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{}) }},
		{"Leases", func() (any, error) { return kc.Typed.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{}) }},
	} {
		l, err := res.list()
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(l)
		leaks = append(leaks, findLeaks("live "+res.name, js, planted)...)
	}
	clone := filepath.Join(dir, "clone")
	gitRun(t, dir, "clone", "--quiet", open, clone)
	log := gitRun(t, clone, "log", "--format=%H %an <%ae>%n%B", "-p")
	leaks = append(leaks, findLeaks("the repository's commits", []byte(log), planted)...)
	for _, l := range leaks {
		t.Errorf("%s holds %s (%s)", l.place, l.where, l.form)
	}
	t.Logf("%d outputs, %d evidence files, %d revisions, the repository: %d leaks", len(outputs), written, len(revs), len(leaks))
}
