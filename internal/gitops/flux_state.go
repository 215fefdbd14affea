package gitops

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The Flux decisions, pure functions over the objects as the API server
// returns them (tested with tables of objects, no cluster).

// Flux's own reasons, as its controllers write them (fluxcd/pkg/apis/meta).
const (
	reasonProgressing          = "Progressing"
	reasonProgressingWithRetry = "ProgressingWithRetry"
	reasonDependencyNotReady   = "DependencyNotReady"
	reasonArtifactFailed       = "ArtifactFailed"
	reasonHealthCheckCanceled  = "HealthCheckCanceled"
)

// requestedAtAnnotation asks a Flux object to reconcile now (what `flux
// reconcile` sets); status.lastHandledReconcileAt echoes the value once the
// controller handled it.
const requestedAtAnnotation = "reconcile.fluxcd.io/requestedAt"

// FluxError is Flux's own failure to apply kship's commit: the object, the
// reason Flux gave (BuildFailed, ReconciliationFailed, HealthCheckFailed,
// a GitRepository's GitOperationFailed, ...) and Flux's message.
type FluxError struct {
	Object  string
	Reason  string
	Message string
	SHA     string
}

func (e *FluxError) Error() string {
	return fmt.Sprintf("Flux %s failed to apply commit %s: %s: %s", e.Object, shortSHA(e.SHA), e.Reason, e.Message)
}

// sourceFetched decides about the GitRepository after kship pushed sha and
// asked it to reconcile with token: done when its artifact is sha (or,
// once it handled the request, another commit: the caller checks that it
// holds sha); an error when it handled the request and is not Ready or is
// stalled (a fetch error, Flux's message).
func sourceFetched(u *unstructured.Unstructured, sha, token string) (done bool, artifact string, err error) {
	artifact = field(u, "status", "artifact", "revision")
	if revisionSHA(artifact) == sha && current(u) {
		return true, artifact, nil
	}
	if c, ok := conditionOf(u, "Stalled"); ok && c.Status == "True" && current(u) {
		return false, artifact, &FluxError{Object: objectName("GitRepository", u), Reason: c.Reason, Message: c.Message, SHA: sha}
	}
	if field(u, "status", "lastHandledReconcileAt") != token || !(current(u) || conditionCurrent(u, "Ready")) {
		return false, artifact, nil
	}
	if c, ok := conditionOf(u, "Ready"); ok && c.Status == "False" {
		return false, artifact, &FluxError{Object: objectName("GitRepository", u), Reason: c.Reason, Message: c.Message, SHA: sha}
	}
	if c, ok := conditionOf(u, "Ready"); ok && c.Status == "True" && artifact != "" {
		return true, artifact, nil
	}
	return false, artifact, nil
}

// kustomizationState is where a Kustomization is with applying the
// revision want (an artifact revision of its source, "main@sha1:<sha>").
type kustomizationState int

const (
	kustWaiting kustomizationState = iota
	// kustApplied: lastAppliedRevision is want, Ready, current generation.
	kustApplied
	// kustHealthChecking: want is applied and Flux runs its health checks
	// (spec.wait or spec.healthChecks); kship's detector watches the same
	// objects from now on.
	kustHealthChecking
)

// kustomizationApplied decides about the Kustomization after kship asked
// it to reconcile with token: applied, health-checking, still waiting, or
// Flux's failure for want (the revision it attempted is want, or it
// handled kship's request with a failure that comes before any revision is
// attempted, such as a missing path).
func kustomizationApplied(u *unstructured.Unstructured, want, token string) (kustomizationState, error) {
	sha := revisionSHA(want)
	if s, _, _ := unstructured.NestedBool(u.Object, "spec", "suspend"); s {
		return kustWaiting, &FluxError{Object: objectName("Kustomization", u), Reason: "Suspended",
			Message: "spec.suspend is true: Flux applies nothing; resume it (flux resume kustomization)", SHA: sha}
	}
	ready, _ := conditionOf(u, "Ready")
	if !current(u) && !conditionCurrent(u, "Ready") {
		return kustWaiting, nil
	}
	if current(u) && revisionSHA(field(u, "status", "lastAppliedRevision")) == sha && ready.Status == "True" {
		return kustApplied, nil
	}
	if c, ok := conditionOf(u, "Stalled"); ok && c.Status == "True" {
		return kustWaiting, &FluxError{Object: objectName("Kustomization", u), Reason: c.Reason, Message: c.Message, SHA: sha}
	}
	if c, ok := conditionOf(u, "Reconciling"); ok && c.Status == "True" &&
		strings.Contains(c.Message, "Running health checks for revision") && strings.Contains(c.Message, sha) {
		return kustHealthChecking, nil
	}
	if ready.Status != "False" {
		return kustWaiting, nil
	}
	switch ready.Reason {
	case reasonProgressing, reasonProgressingWithRetry, reasonDependencyNotReady, reasonHealthCheckCanceled:
		return kustWaiting, nil
	}
	attempted := revisionSHA(field(u, "status", "lastAttemptedRevision")) == sha
	handled := field(u, "status", "lastHandledReconcileAt") == token
	if attempted || (handled && ready.Reason == reasonArtifactFailed) {
		return kustWaiting, &FluxError{Object: objectName("Kustomization", u), Reason: ready.Reason, Message: ready.Message, SHA: sha}
	}
	return kustWaiting, nil
}

// kustomizationFailing is the Kustomization's failure now, whatever the
// revision: Flux's reason and message when it is not Ready for a reason
// other than progressing (a prepare check: a release to a Kustomization
// that fails already fails too).
func kustomizationFailing(u *unstructured.Unstructured) (Condition, bool) {
	ready, ok := conditionOf(u, "Ready")
	if !ok || ready.Status != "False" {
		return ready, false
	}
	switch ready.Reason {
	case reasonProgressing, reasonProgressingWithRetry, reasonHealthCheckCanceled:
		return ready, false
	}
	return ready, true
}

func objectName(kind string, u *unstructured.Unstructured) string {
	return fmt.Sprintf("%s %s/%s", kind, u.GetNamespace(), u.GetName())
}
