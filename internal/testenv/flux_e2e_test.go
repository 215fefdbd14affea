package testenv_test

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
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/testenv"
)

var (
	gitRepositories = schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}
	kustomizations  = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}
)

// TestFluxAppliesAPushedCommit is GitOps end to end in the environment: a
// commit with a ConfigMap pushed to the git server is fetched by the real
// source-controller and applied by the real kustomize-controller, which
// reports exactly that commit as its lastAppliedRevision; a second commit,
// with a reconcile requested, replaces it.
func TestFluxAppliesAPushedCommit(t *testing.T) {
	env := testenv.Get(t)
	if env.Git == "" {
		t.Fatalf("the environment has no git server (KSHIP_GIT not in .localcluster/env): it was started by an older localcluster; make cluster-down && make cluster-up")
	}
	ns := testenv.Namespace(t, env, "flux-")
	dyn, err := dynamic.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	cs := env.Clientset(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()

	repoURL := env.Git + "/testenv/" + ns + ".git"
	work := t.TempDir()
	git(t, work, "init", "--quiet", "--initial-branch=main")
	first := commitConfigMap(t, work, ns, "one")
	git(t, work, "push", "--quiet", repoURL, "main")

	create(t, dyn, gitRepositories, ns, map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": "app"},
		"spec": map[string]any{"url": repoURL, "interval": "10m", "timeout": "30s",
			"ref": map[string]any{"branch": "main"}},
	})
	create(t, dyn, kustomizations, ns, map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": "app"},
		"spec": map[string]any{"interval": "10m", "path": "./", "prune": true, "timeout": "1m",
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "app"}},
	})
	start := time.Now()
	waitApplied(t, dyn, ns, first)
	t.Logf("first commit %s applied %s after the Flux objects were created", first[:12], time.Since(start).Round(10*time.Millisecond))
	assertValue(t, ctx, cs, ns, "one")

	second := commitConfigMap(t, work, ns, "two")
	git(t, work, "push", "--quiet", repoURL, "main")
	start = time.Now()
	requestReconcile(t, ctx, dyn, gitRepositories, ns)
	waitApplied(t, dyn, ns, second)
	t.Logf("second commit %s applied %s after push and reconcile request", second[:12], time.Since(start).Round(10*time.Millisecond))
	assertValue(t, ctx, cs, ns, "two")
}

// commitConfigMap writes a ConfigMap with data value into work, commits
// it and returns the commit's SHA.
func commitConfigMap(t *testing.T, work, ns, value string) string {
	t.Helper()
	cm := fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-git\n  namespace: %s\ndata:\n  value: %s\n", ns, value)
	if err := os.WriteFile(filepath.Join(work, "configmap.yaml"), []byte(cm), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, work, "add", "configmap.yaml")
	git(t, work, "commit", "--quiet", "-m", "value "+value)
	return git(t, work, "rev-parse", "HEAD")
}

// git runs the git CLI in dir without the user's or the system's
// configuration.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=kship test", "GIT_AUTHOR_EMAIL=test@kship.invalid",
		"GIT_COMMITTER_NAME=kship test", "GIT_COMMITTER_EMAIL=test@kship.invalid")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func create(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns string, obj map[string]any) {
	t.Helper()
	u := &unstructured.Unstructured{Object: obj}
	if _, err := dyn.Resource(gvr).Namespace(ns).Create(t.Context(), u, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create %s %s/%s: %v", u.GetKind(), ns, u.GetName(), err)
	}
}

// requestReconcile asks Flux to reconcile the object named app now, the way
// the flux CLI does (the reconcile.fluxcd.io/requestedAt annotation).
func requestReconcile(t *testing.T, ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns string) {
	t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":%q}}}`, time.Now().Format(time.RFC3339Nano))
	if _, err := dyn.Resource(gvr).Namespace(ns).Patch(ctx, "app", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("request reconcile of %s %s/app: %v", gvr.Resource, ns, err)
	}
}

// waitApplied waits until the Kustomization app is Ready with
// lastAppliedRevision main@sha1:<sha>, for its current generation.
func waitApplied(t *testing.T, dyn dynamic.Interface, ns, sha string) {
	t.Helper()
	want := "main@sha1:" + sha
	eventually(t, 2*time.Minute, "Kustomization "+ns+"/app applied "+want, func(ctx context.Context) (bool, string) {
		k, err := dyn.Resource(kustomizations).Namespace(ns).Get(ctx, "app", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
		observed, _, _ := unstructured.NestedInt64(k.Object, "status", "observedGeneration")
		ready, msg := condition(k, "Ready")
		state := fmt.Sprintf("lastAppliedRevision %q, Ready %s (%s), observedGeneration %d of %d; GitRepository: %s",
			applied, ready, msg, observed, k.GetGeneration(), sourceState(ctx, dyn, ns))
		return applied == want && ready == "True" && observed == k.GetGeneration(), state
	})
}

// sourceState describes the GitRepository app, for failure messages.
func sourceState(ctx context.Context, dyn dynamic.Interface, ns string) string {
	g, err := dyn.Resource(gitRepositories).Namespace(ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		return err.Error()
	}
	rev, _, _ := unstructured.NestedString(g.Object, "status", "artifact", "revision")
	ready, msg := condition(g, "Ready")
	return fmt.Sprintf("artifact %q, Ready %s (%s)", rev, ready, msg)
}

// condition returns the status and message of condition typ.
func condition(u *unstructured.Unstructured, typ string) (string, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			return fmt.Sprint(m["status"]), fmt.Sprint(m["message"])
		}
	}
	return "Unknown", "no " + typ + " condition yet"
}

// assertValue checks the ConfigMap the commits carry.
func assertValue(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, want string) {
	t.Helper()
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "from-git", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("ConfigMap %s/from-git after Flux applied the commit: %v", ns, err)
	}
	if got := cm.Data["value"]; got != want {
		t.Errorf("ConfigMap %s/from-git value = %q, want %q", ns, got, want)
	}
}
