package gitops

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func obj(t *testing.T, src string) *unstructured.Unstructured {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestKustomizationApplied(t *testing.T) {
	head := "apiVersion: v1\nkind: Kustomization\nmetadata: {name: web, namespace: flux-system, generation: 2}\nspec: {}\n"
	tests := []struct {
		name, status string
		want         kustomizationState
		err          string // substring of Flux's error; "" for none
	}{
		{"applied", `{observedGeneration: 2, lastAppliedRevision: main@sha1:` + sha + `, conditions: [{type: Ready, status: "True", reason: ReconciliationSucceeded}]}`, kustApplied, ""},
		{"older generation", `{observedGeneration: 1, lastAppliedRevision: main@sha1:` + sha + `, conditions: [{type: Ready, status: "True"}]}`, kustWaiting, ""},
		{"another revision applied", `{observedGeneration: 2, lastAppliedRevision: main@sha1:ffff, conditions: [{type: Ready, status: "True"}]}`, kustWaiting, ""},
		{"progressing", `{observedGeneration: 2, lastAttemptedRevision: main@sha1:` + sha + `, conditions: [{type: Ready, status: "False", reason: Progressing}]}`, kustWaiting, ""},
		{"build failed for this commit", `{observedGeneration: 2, lastAttemptedRevision: main@sha1:` + sha + `, conditions: [{type: Ready, status: "False", reason: BuildFailed, message: "kustomize build failed: accumulating resources"}]}`, kustWaiting, "BuildFailed: kustomize build failed"},
		{"first build failed (Flux leaves observedGeneration at -1)", `{observedGeneration: -1, lastAttemptedRevision: main@sha1:` + sha + `, conditions: [{type: Reconciling, status: "True", reason: ProgressingWithRetry, observedGeneration: 2}, {type: Ready, status: "False", reason: BuildFailed, observedGeneration: 2, message: "kustomize build failed: missing.yaml"}]}`, kustWaiting, "BuildFailed: kustomize build failed: missing.yaml"},
		{"a failure of an older generation", `{observedGeneration: -1, lastAttemptedRevision: main@sha1:` + sha + `, conditions: [{type: Ready, status: "False", reason: BuildFailed, observedGeneration: 1, message: old}]}`, kustWaiting, ""},
		{"failed for an older commit", `{observedGeneration: 2, lastAttemptedRevision: main@sha1:ffff, conditions: [{type: Ready, status: "False", reason: BuildFailed, message: old}]}`, kustWaiting, ""},
		{"path missing after kship's request", `{observedGeneration: 2, lastHandledReconcileAt: tok, conditions: [{type: Ready, status: "False", reason: ArtifactFailed, message: "kustomization path not found"}]}`, kustWaiting, "ArtifactFailed: kustomization path not found"},
		{"path missing before kship's request", `{observedGeneration: 2, lastHandledReconcileAt: old, conditions: [{type: Ready, status: "False", reason: ArtifactFailed, message: "path not found"}]}`, kustWaiting, ""},
		{"stalled", `{observedGeneration: 2, conditions: [{type: Stalled, status: "True", reason: InvalidPath, message: bad}, {type: Ready, status: "False"}]}`, kustWaiting, "InvalidPath: bad"},
		{"health checks", `{observedGeneration: 2, conditions: [{type: Reconciling, status: "True", reason: Progressing, message: "Running health checks for revision main@sha1:` + sha + ` with a timeout of 1m"}, {type: Ready, status: Unknown}]}`, kustHealthChecking, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := obj(t, head+"status: "+tt.status+"\n")
			got, err := kustomizationApplied(u, "main@sha1:"+sha, "tok")
			if got != tt.want {
				t.Errorf("state %d, want %d", got, tt.want)
			}
			var fe *FluxError
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.err != "" && (!errors.As(err, &fe) || !strings.Contains(err.Error(), tt.err) || fe.Object != "Kustomization flux-system/web"):
				t.Errorf("error %v, want Flux's %q", err, tt.err)
			}
		})
	}
	u := obj(t, "apiVersion: v1\nkind: Kustomization\nmetadata: {name: web, namespace: f, generation: 1}\nspec: {suspend: true}\n")
	if _, err := kustomizationApplied(u, "main@sha1:"+sha, "tok"); err == nil || !strings.Contains(err.Error(), "Suspended") {
		t.Errorf("suspended: %v", err)
	}
}

func TestSourceFetched(t *testing.T) {
	head := "apiVersion: v1\nkind: GitRepository\nmetadata: {name: web, namespace: flux-system, generation: 1}\n"
	tests := []struct {
		name, status string
		done         bool
		err          string
	}{
		{"fetched", `{observedGeneration: 1, artifact: {revision: main@sha1:` + sha + `}, conditions: [{type: Ready, status: "True"}]}`, true, ""},
		{"not yet", `{observedGeneration: 1, artifact: {revision: main@sha1:ffff}, conditions: [{type: Ready, status: "True"}]}`, false, ""},
		{"handled: a later commit", `{observedGeneration: 1, lastHandledReconcileAt: tok, artifact: {revision: main@sha1:ffff}, conditions: [{type: Ready, status: "True"}]}`, true, ""},
		{"fetch failed", `{observedGeneration: 1, lastHandledReconcileAt: tok, conditions: [{type: Ready, status: "False", reason: GitOperationFailed, message: "failed to checkout: authentication required"}]}`, false, "GitOperationFailed: failed to checkout"},
		{"failed before the request", `{observedGeneration: 1, lastHandledReconcileAt: old, conditions: [{type: Ready, status: "False", reason: GitOperationFailed, message: x}]}`, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done, _, err := sourceFetched(obj(t, head+"status: "+tt.status+"\n"), sha, "tok")
			if done != tt.done || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("done %v, error %v; want %v, %q", done, err, tt.done, tt.err)
			}
		})
	}
}

func TestRevisionSHA(t *testing.T) {
	for in, want := range map[string]string{"main@sha1:abc": "abc", "refs/heads/main@sha256:def": "def", "main/abc": "abc", "abc": "abc"} {
		if got := revisionSHA(in); got != want {
			t.Errorf("revisionSHA(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestApplicationSynced(t *testing.T) {
	head := "apiVersion: v1\nkind: Application\nmetadata: {name: web, namespace: argocd, generation: 3}\n"
	tests := []struct {
		name, rest string
		done       bool
		rev, err   string
	}{
		{"synced", "status: {sync: {status: Synced, revision: " + sha + "}, operationState: {phase: Succeeded, syncResult: {revision: " + sha + "}}}", true, sha, ""},
		{"operation pending", "operation: {sync: {revision: " + sha + "}}\nstatus: {sync: {status: Synced, revision: ffff}}", false, "", ""},
		{"running", "status: {sync: {status: OutOfSync, revision: " + sha + "}, operationState: {phase: Running}}", false, "", ""},
		{"out of sync", "status: {sync: {status: OutOfSync, revision: " + sha + "}}", false, sha, ""},
		{"failed", "status: {sync: {status: OutOfSync}, operationState: {phase: Failed, message: \"one or more objects failed to apply\", syncResult: {revision: " + sha + "}}}", false, "", "operation Failed: one or more objects failed to apply"},
		{"failed for an older commit", "status: {sync: {status: OutOfSync}, operationState: {phase: Failed, message: old, syncResult: {revision: ffff}}}", false, "", ""},
		{"comparison error", "status: {conditions: [{type: ComparisonError, message: \"rpc error: kustomize build failed\"}]}", false, "", "ComparisonError: rpc error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done, rev, err := applicationSynced(obj(t, head+tt.rest+"\n"), sha, nil)
			if done != tt.done || (done && rev != tt.rev) || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("done %v rev %q error %v; want %v %q %q", done, rev, err, tt.done, tt.rev, tt.err)
			}
		})
	}
}
