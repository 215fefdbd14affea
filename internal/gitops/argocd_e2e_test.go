package gitops_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/apply"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/gitops"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// The engine argocd is tested against Argo CD's Application status
// contract, not a running Argo CD (it cannot be built here): the
// Application CRD is installed in the local cluster, and the test plays
// Argo CD's part: when kship asks for a sync (an operation with the
// revision, or the refresh annotation), it applies the path of that
// commit as the repository holds it (server-side apply, Argo CD's field
// manager) and writes the status Argo CD writes.

var crds = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installApplicationCRD installs the stand-in Application CRD once (it is
// cluster-wide and left in place) and waits until it is served.
func (f *fixture) installApplicationCRD() {
	f.t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "argocd-application-crd.yaml"))
	if err != nil {
		f.t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &u.Object); err != nil {
		f.t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := f.clients.Dynamic.Resource(crds).Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		f.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := f.clients.Dynamic.Resource(gitops.ApplicationsResource).Namespace(f.ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("the Application CRD is not served: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// argoStandIn plays Argo CD's part for the Application app until the test
// ends; fail says whether to fail the sync of a revision (with Argo CD's
// message) instead of applying it.
func (f *fixture) argoStandIn(fail func(sha string) string) {
	f.t.Helper()
	f.installApplicationCRD()
	apps := f.clients.Dynamic.Resource(gitops.ApplicationsResource).Namespace(f.ns)
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "app", "namespace": f.ns},
		"spec": map[string]any{"project": "default",
			"source":      map[string]any{"repoURL": f.repo, "targetRevision": "main", "path": repoPath},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": f.ns}},
	}}
	if _, err := apps.Create(context.Background(), app, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	f.t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			u, err := apps.Get(ctx, "app", metav1.GetOptions{})
			if err != nil {
				continue
			}
			sha, _, _ := unstructured.NestedString(u.Object, "operation", "sync", "revision")
			if sha == "" {
				continue
			}
			status := map[string]any{}
			if msg := fail(sha); msg != "" {
				status["sync"] = map[string]any{"status": "OutOfSync", "revision": sha}
				status["operationState"] = map[string]any{"phase": "Failed", "message": msg, "syncResult": map[string]any{"revision": sha}}
			} else if err := f.applyCommit(ctx, sha); err != nil {
				status["operationState"] = map[string]any{"phase": "Error", "message": err.Error(), "syncResult": map[string]any{"revision": sha}}
			} else {
				status["sync"] = map[string]any{"status": "Synced", "revision": sha}
				status["health"] = map[string]any{"status": "Progressing"}
				status["operationState"] = map[string]any{"phase": "Succeeded", "message": "successfully synced (all tasks run)", "syncResult": map[string]any{"revision": sha}}
			}
			delete(u.Object, "operation")
			u.Object["status"] = status
			ann := u.GetAnnotations()
			delete(ann, "argocd.argoproj.io/refresh")
			u.SetAnnotations(ann)
			if _, err := apps.Update(ctx, u, metav1.UpdateOptions{}); err != nil && ctx.Err() == nil {
				f.t.Logf("Argo CD stand-in: update Application: %v", err)
			}
		}
	}()
}

// applyCommit applies the path of commit sha, as the repository holds it.
func (f *fixture) applyCommit(ctx context.Context, sha string) error {
	dir := f.clone()
	f.git(dir, "checkout", "--quiet", sha)
	rel := &config.Release{Dir: dir}
	rel.Metadata.Name = "argocd"
	rel.Spec.Namespace = f.ns
	rel.Spec.Source.Path = filepath.Join(dir, repoPath)
	objs, err := manifest.Load(ctx, rel, f.clients.Mapper)
	if err != nil {
		return err
	}
	_, err = (&apply.Applier{Clients: f.clients, FieldManager: "argocd-controller", ForceConflicts: true}).Apply(ctx, objs, apply.Options{})
	return err
}

// Engine argocd: kship asks for a sync of its commit, waits until the
// Application reports that commit synced, then verifies: exit 0 with the
// SHA in the evidence.
func TestE2EArgoCDContractGood(t *testing.T) {
	f := newFixture(t, "argocd-")
	f.engine = "engine: argocd\n    application: {namespace: " + f.ns + ", name: app}"
	f.argoStandIn(func(string) string { return "" })
	out := f.deploy(f.release("v1", ""))
	f.expect(out, 0)
	if ev := evidence(t, out); !strings.Contains(ev, f.head()) || !strings.Contains(ev, "Application "+f.ns+"/app") {
		t.Errorf("evidence.json does not record commit %s and the Application", f.head())
	}
	if f.image() != "app:v1" {
		t.Errorf("image %q after the sync", f.image())
	}
}

// A sync Argo CD reports Failed ends kship's wait at once with Argo CD's
// message.
func TestE2EArgoCDContractSyncFailed(t *testing.T) {
	f := newFixture(t, "argocd-fail-")
	f.engine = "engine: argocd\n    application: {namespace: " + f.ns + ", name: app}"
	f.argoStandIn(func(string) string { return "one or more objects failed to apply, reason: admission webhook denied" })
	rel, err := config.Load(f.release("v1", ""))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifest.Load(context.Background(), rel, f.clients.Mapper)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err = gitops.NewMechanism(rollout.Env{Clients: f.clients, Now: time.Now}).Write(ctx, rollout.Target{Release: rel, Namespace: f.ns, Revision: 1, Objects: objs})
	var ae *gitops.ArgoCDError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "admission webhook denied") || !strings.Contains(err.Error(), "operation Failed") {
		t.Fatalf("Write: %v; want Argo CD's failure", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the failure took %s to surface", took)
	}
}

// An error condition the Application had before kship's commit (a
// ComparisonError of an earlier revision, and a SyncError of an earlier
// sync) is not a failure of kship's commit: kship waits for Argo CD to
// sync its commit, and it is verified, exit 0.
func TestE2EArgoCDContractStaleErrorCondition(t *testing.T) {
	f := newFixture(t, "argocd-stale-")
	f.engine = "engine: argocd\n    application: {namespace: " + f.ns + ", name: app}"
	f.argoStandIn(func(string) string { return "" })
	apps := f.clients.Dynamic.Resource(gitops.ApplicationsResource).Namespace(f.ns)
	ctx := context.Background()
	app, err := apps.Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	app.Object["status"] = map[string]any{
		"sync": map[string]any{"status": "Unknown"},
		"conditions": []any{
			map[string]any{"type": "ComparisonError", "message": "rpc error: app path does not exist", "lastTransitionTime": since},
			map[string]any{"type": "SyncError", "message": "one or more objects failed to apply", "lastTransitionTime": since},
		},
	}
	if _, err := apps.Update(ctx, app, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	out := f.deploy(f.release("v1", ""))
	f.expect(out, 0)
	if f.image() != "app:v1" {
		t.Errorf("image %q after the sync", f.image())
	}
}
