package gitops_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gitops"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
	"github.com/kship/kship/internal/view"
)

// fixture is one test's gitops release: a repository of the environment's
// git server, a Flux GitRepository and Kustomization (the real
// controllers) applying its folder apps/app into a fresh namespace.
type fixture struct {
	t       *testing.T
	env     *testenv.Env
	clients *kube.Clients
	ns      string
	repo    string
	dir     string
	// kustomizationPath is the Kustomization's spec.path.
	kustomizationPath string
	out               strings.Builder
	// engine is the release file's engine lines (default: the
	// Kustomization app).
	engine string
	// tap, when set, gets every event of a deploy too.
	tap func(event.Event)
}

const repoPath = "apps/app"

func newFixture(t *testing.T, prefix string) *fixture {
	t.Helper()
	env := testenv.Get(t)
	if env.Git == "" {
		t.Fatalf("the environment has no git server (KSHIP_GIT): make cluster-down && make cluster-up")
	}
	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, env: env, clients: c, ns: testenv.Namespace(t, env, prefix), dir: t.TempDir(), kustomizationPath: "./" + repoPath}
	f.repo = env.Git + "/kship-e2e/" + f.ns + ".git"
	// The repository starts with a README only: kship's folder does not
	// exist until its first commit (the Kustomization fails until then).
	work := filepath.Join(f.dir, "seed")
	f.git(work, "init", "--quiet", "--initial-branch=main", work)
	write(t, filepath.Join(work, "README.md"), "the team's repository\n")
	f.git(work, "add", "README.md")
	f.git(work, "commit", "--quiet", "-m", "start")
	f.git(work, "push", "--quiet", f.repo, "main")
	return f
}

// flux creates the GitRepository and Kustomization "app".
func (f *fixture) flux() {
	f.t.Helper()
	f.create(gitops.GitRepositoriesResource, map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": "app", "namespace": f.ns},
		"spec":     map[string]any{"url": f.repo, "interval": "10m", "timeout": "30s", "ref": map[string]any{"branch": "main"}},
	})
	f.create(gitops.KustomizationsResource, map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": "app", "namespace": f.ns},
		"spec": map[string]any{"interval": "10m", "path": f.kustomizationPath, "prune": true, "timeout": "1m",
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "app"}},
	})
}

func (f *fixture) create(gvr schema.GroupVersionResource, obj map[string]any) {
	f.t.Helper()
	u := &unstructured.Unstructured{Object: obj}
	if _, err := f.clients.Dynamic.Resource(gvr).Namespace(f.ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		f.t.Fatalf("create %s: %v", u.GetKind(), err)
	}
}

// release writes a version of the app and its release file; behavior is
// the pods' sim.kship.dev/behavior ("" for healthy).
func (f *fixture) release(version, behavior string) string {
	f.t.Helper()
	spec := fmt.Sprintf("  mechanism: gitops\n  gitops:\n    repository: %s\n    path: %s\n    %s\n", f.repo, repoPath, f.engineLines())
	return f.env.WriteDemo(f.t, filepath.Join(f.dir, version), testenv.DemoRelease{Namespace: f.ns, Spec: spec, Rollback: "auto", RestartThreshold: 2},
		testenv.DemoApp{Version: version, Replicas: 2, Behavior: behavior, Load: true, ConfigMaps: []string{"only-" + version}})
}

func (f *fixture) engineLines() string {
	if f.engine != "" {
		return f.engine
	}
	return "kustomization: {namespace: " + f.ns + ", name: app}"
}

// deploy runs the whole workflow on a release file, as kship deploy does.
func (f *fixture) deploy(file string) *event.Outcome {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var buf strings.Builder
	v := view.New(&buf, view.JSON, time.Now())
	var sink event.Sink = v
	if f.tap != nil {
		sink = event.SinkFunc(func(e event.Event) { f.tap(e); v.Emit(e) })
	}
	out, err := release.Deploy(ctx, release.DeployOptions{ReleaseFile: file, RunOptions: release.RunOptions{Clients: f.clients, EvidenceDir: filepath.Join(f.dir, "evidence"),
		Sink: sink, Catalog: cli.Catalog(), Version: "e2e"}})
	f.out.WriteString(buf.String())
	if err != nil {
		f.t.Fatalf("deploy %s: %v", file, err)
	}
	return out
}

func (f *fixture) expect(out *event.Outcome, code int) {
	f.t.Helper()
	if out.ExitCode != code {
		if b, err := os.ReadFile(filepath.Join(out.EvidenceDir, "release-checklist.md")); err == nil {
			f.t.Logf("release-checklist.md:\n%s", b)
		}
		f.t.Fatalf("exit %d (%s): %s; trigger %q; want exit %d\n%s", out.ExitCode, out.Verdict, out.Summary, out.Trigger, code, tail(f.out.String(), 15))
	}
}

// head is the branch's commit on the git server.
func (f *fixture) head() string {
	f.t.Helper()
	out := f.git(f.dir, "ls-remote", f.repo, "refs/heads/main")
	sha, _, _ := strings.Cut(out, "\t")
	return sha
}

// applied is the Kustomization's lastAppliedRevision's commit.
func (f *fixture) applied() string {
	f.t.Helper()
	k, err := f.clients.Dynamic.Resource(gitops.KustomizationsResource).Namespace(f.ns).Get(context.Background(), "app", metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	rev, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
	_, sha, _ := strings.Cut(rev, "sha1:")
	return sha
}

func (f *fixture) image() string {
	d, err := f.clients.Typed.AppsV1().Deployments(f.ns).Get(context.Background(), "app", metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

func (f *fixture) configMap(name string) map[string]string {
	cm, err := f.clients.Typed.CoreV1().ConfigMaps(f.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return cm.Data
}

// evidence is the attempt's evidence.json.
func evidence(t *testing.T, out *event.Outcome) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out.EvidenceDir, "evidence.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (f *fixture) git(dir string, args ...string) string {
	f.t.Helper()
	cmd := exec.Command("git", args...)
	if dir != "" && args[0] != "init" {
		cmd.Dir = dir
	}
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=a human", "GIT_AUTHOR_EMAIL=human@kship.invalid",
		"GIT_COMMITTER_NAME=a human", "GIT_COMMITTER_EMAIL=human@kship.invalid")
	out, err := cmd.CombinedOutput()
	if err != nil {
		f.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// A good commit: kship pushes it, the real Flux applies exactly it, kship
// verifies it, exit 0, and the evidence names the commit. A crash-looping
// commit: detected, a revert commit pushed and applied by Flux, verified,
// exit 3; everything of v1 is back (the ConfigMap v2 pruned, the image)
// and what v2 added is pruned by Flux.
func TestE2EGitOpsGoodThenBadIsReverted(t *testing.T) {
	f := newFixture(t, "gitops-")
	f.flux()
	start := time.Now()
	out := f.deploy(f.release("v1", ""))
	f.expect(out, 0)
	good := f.head()
	t.Logf("v1: pushed %s, applied by Flux and verified in %s", good[:12], time.Since(start).Round(time.Millisecond))
	if f.applied() != good {
		t.Errorf("Flux applied %q, the branch is at %s", f.applied(), good)
	}
	if ev := evidence(t, out); !strings.Contains(ev, good) || !strings.Contains(ev, `"git.commit"`) {
		t.Errorf("evidence.json does not record commit %s", good)
	}
	if f.image() != "app:v1" || f.configMap("only-v1") == nil {
		t.Fatalf("v1 is not live: image %q", f.image())
	}

	start = time.Now()
	out = f.deploy(f.release("v2", "crashloop"))
	f.expect(out, 3)
	t.Logf("v2: crash loop detected, reverted, applied and verified in %s: %s", time.Since(start).Round(time.Millisecond), out.Trigger)
	if !strings.Contains(out.Trigger, "CrashLoopBackOff") {
		t.Errorf("trigger %q does not name the crash loop", out.Trigger)
	}
	revert := f.head()
	if revert == good || f.applied() != revert {
		t.Errorf("branch at %s (v1 was %s), Flux applied %s: want a revert commit applied", revert, good, f.applied())
	}
	msg := f.git(f.dir, "-C", f.clone(), "log", "-1", "--format=%B")
	if !strings.HasPrefix(msg, "Revert ") || !strings.Contains(msg, "This reverts commit ") {
		t.Errorf("the head is not a revert commit:\n%s", msg)
	}
	ev := evidence(t, out)
	if !strings.Contains(ev, revert) || !strings.Contains(ev, `"action": "revert"`) {
		t.Errorf("evidence.json does not record the revert %s:\n%s", revert, ev)
	}
	if f.image() != "app:v1" || f.configMap("app-config")["DEMO_VERSION"] != "v1" {
		t.Errorf("after the revert: image %q, app-config %v", f.image(), f.configMap("app-config"))
	}
	if f.configMap("only-v1") == nil || f.configMap("only-v2") != nil {
		t.Errorf("after the revert: only-v1 %v, only-v2 %v (want v1's back, v2's pruned)", f.configMap("only-v1"), f.configMap("only-v2"))
	}
}

// clone clones the repository into a fresh folder and returns it.
func (f *fixture) clone() string {
	f.t.Helper()
	dir := filepath.Join(f.dir, fmt.Sprintf("clone-%d", time.Now().UnixNano()))
	f.git(f.dir, "clone", "--quiet", f.repo, dir)
	return dir
}

// A Kustomization that cannot build kship's commit: the team's overlay
// (the Kustomization's path) patches a ConfigMap of v1 that v2 drops, so
// kustomize cannot build v2. kship reports Flux's own reason and message at
// once (not at the rollout timeout), reverts, Flux builds and applies v1
// again, kship verifies it: exit 3.
func TestE2EGitOpsBuildFailureIsFluxsMessage(t *testing.T) {
	f := newFixture(t, "gitops-build-")
	work := f.clone()
	write(t, filepath.Join(work, "kustomization.yaml"), fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [%s]
patches:
  - patch: |-
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: only-v1, namespace: %s}
      data: {team: overlay}
`, repoPath, f.ns))
	f.git(work, "add", "kustomization.yaml")
	f.git(work, "commit", "--quiet", "-m", "the team's overlay")
	f.git(work, "push", "--quiet", "origin", "main")
	f.kustomizationPath = "./"
	f.flux()
	f.expect(f.deploy(f.release("v1", "")), 0)
	if f.configMap("only-v1")["team"] != "overlay" {
		t.Fatalf("the overlay's patch is not applied: %v", f.configMap("only-v1"))
	}
	start := time.Now()
	out := f.deploy(f.release("v2", ""))
	took := time.Since(start)
	f.expect(out, 3)
	t.Logf("exit %d after %s: %s", out.ExitCode, took.Round(time.Millisecond), out.Trigger)
	if !strings.Contains(out.Trigger, "BuildFailed") || !strings.Contains(out.Trigger, "only-v1") {
		t.Errorf("trigger %q does not carry Flux's reason and message", out.Trigger)
	}
	if took > 60*time.Second {
		t.Errorf("took %s: Flux's failure was not surfaced at once", took)
	}
	if f.image() != "app:v1" || f.applied() != f.head() {
		t.Errorf("after the revert: image %q, Flux applied %s, head %s", f.image(), f.applied(), f.head())
	}
}
