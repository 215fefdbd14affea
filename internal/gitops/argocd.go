package gitops

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/kship/kship/internal/config"
)

// ApplicationsResource is Argo CD's Application, as its CRD serves it.
var ApplicationsResource = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

// refreshAnnotation asks Argo CD to compare the Application with git now
// (what `argocd app get --refresh` sets); Argo CD removes it once done.
const refreshAnnotation = "argocd.argoproj.io/refresh"

// argoCD is the engine argocd: an Argo CD Application syncs the path.
// kship reads the Application's status contract (status.sync,
// status.operationState, status.conditions); it is tested against that
// contract, with the status written by the test, not against a running
// Argo CD.
type argoCD struct {
	dyn     dynamic.Interface
	ref     config.ObjectRef
	now     func() time.Time
	observe func(*Observation)
	holds   func(ctx context.Context, artifact, sha string) (bool, error)
}

func (a *argoCD) String() string { return "Argo CD Application " + a.ref.String() }

// ArgoCDError is Argo CD's own failure to sync kship's commit: the
// Application, what failed (an operation phase or a condition type) and
// Argo CD's message.
type ArgoCDError struct {
	Object  string
	Reason  string
	Message string
	SHA     string
}

func (e *ArgoCDError) Error() string {
	return fmt.Sprintf("Argo CD %s failed to sync commit %s: %s: %s", e.Object, shortSHA(e.SHA), e.Reason, e.Message)
}

// Apply asks Argo CD to refresh the Application and, when it has no
// automated sync policy, to sync commit sha (an operation, what `argocd
// app sync --revision` starts); then it waits, watching, until the
// Application reports that commit synced.
func (a *argoCD) Apply(ctx context.Context, sha string) error {
	app, err := a.dyn.Resource(ApplicationsResource).Namespace(a.ref.Namespace).Get(ctx, a.ref.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("Argo CD Application %s: %w", a.ref, err)
	}
	patch := map[string]any{"metadata": map[string]any{"annotations": map[string]any{refreshAnnotation: "normal"}}}
	if _, auto, _ := unstructured.NestedMap(app.Object, "spec", "syncPolicy", "automated"); !auto {
		patch["operation"] = map[string]any{
			"initiatedBy": map[string]any{"username": "kship"},
			"sync":        map[string]any{"revision": sha},
		}
	}
	before := errorConditionsOf(app)
	body, _ := json.Marshal(patch)
	if _, err := a.dyn.Resource(ApplicationsResource).Namespace(a.ref.Namespace).Patch(ctx, a.ref.Name, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("ask Argo CD to sync Application %s now: %w", a.ref, err)
	}
	var seen observations
	last, err := watchObject(ctx, a.dyn, ApplicationsResource, a.ref.Namespace, a.ref.Name, func(u *unstructured.Unstructured) (bool, error) {
		seen.record(a.observe, observeApplication(u))
		done, rev, err := applicationSynced(u, sha, before)
		if err != nil || !done {
			return false, err
		}
		if rev != sha {
			ok, herr := a.holds(ctx, rev, sha)
			if herr != nil || !ok {
				return false, herr
			}
		}
		return true, nil
	})
	if err != nil {
		return waitError(ctx, err, "sync", sha, "Application "+a.ref.String(), last)
	}
	return nil
}

// applicationSynced decides about an Application after kship asked it to
// sync sha: done when it is Synced at a revision that is sha (or, the
// caller checks, holds it) and no operation runs; Argo CD's failure when
// its operation for sha failed, or a condition of an error type is set
// that is not stale (staleError): before holds the error conditions the
// Application had when kship asked.
func applicationSynced(u *unstructured.Unstructured, sha string, before map[string]bool) (done bool, revision string, err error) {
	obj := objectName("Application", u)
	phase := field(u, "status", "operationState", "phase")
	opRev := field(u, "status", "operationState", "syncResult", "revision")
	if opRev == "" {
		opRev = field(u, "status", "operationState", "operation", "sync", "revision")
	}
	if (phase == "Failed" || phase == "Error") && opRev == sha {
		return false, opRev, &ArgoCDError{Object: obj, Reason: "operation " + phase, Message: field(u, "status", "operationState", "message"), SHA: sha}
	}
	refreshed := u.GetAnnotations()[refreshAnnotation] == ""
	for _, c := range argoErrorConditions(u) {
		if !staleError(c, before, refreshed) {
			return false, "", &ArgoCDError{Object: obj, Reason: c.Type, Message: c.Message, SHA: sha}
		}
	}
	if _, pending, _ := unstructured.NestedMap(u.Object, "operation"); pending {
		return false, "", nil // the operation kship asked for has not started
	}
	if phase == "Running" || phase == "Terminating" {
		return false, "", nil
	}
	revision = field(u, "status", "sync", "revision")
	if field(u, "status", "sync", "status") != "Synced" || revision == "" {
		return false, revision, nil
	}
	return true, revision, nil
}

// argoSyncError is the condition Argo CD sets when a sync operation
// fails; only another sync clears it (a refresh does not evaluate it).
const argoSyncError = "SyncError"

// argoCondition is an error condition of an Application: its type,
// message and lastTransitionTime, which Argo CD keeps while the type and
// message stay the same.
type argoCondition struct{ Type, Message, Since string }

func (c argoCondition) key() string { return c.Type + "\x00" + c.Message + "\x00" + c.Since }

// staleError says an error condition is not about kship's commit: it is
// exactly one the Application had before kship asked (same type, message
// and lastTransitionTime), and Argo CD has not refreshed since (the
// refresh annotation kship set is still there), or it is a SyncError,
// which reports an earlier sync (kship's own is judged by its operation's
// phase). A condition that is new, or that still stands once Argo CD
// compared the repository with kship's commit in it, is a failure.
func staleError(c argoCondition, before map[string]bool, refreshed bool) bool {
	if !before[c.key()] {
		return false
	}
	return c.Type == argoSyncError || !refreshed
}

// argoErrorConditions are an Application's conditions of an error type
// (ComparisonError, InvalidSpecError, SyncError, ...).
func argoErrorConditions(u *unstructured.Unstructured) []argoCondition {
	var out []argoCondition
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if t := str(m["type"]); strings.HasSuffix(t, "Error") {
			out = append(out, argoCondition{Type: t, Message: str(m["message"]), Since: str(m["lastTransitionTime"])})
		}
	}
	return out
}

// errorConditionsOf are the keys of u's error conditions.
func errorConditionsOf(u *unstructured.Unstructured) map[string]bool {
	out := map[string]bool{}
	for _, c := range argoErrorConditions(u) {
		out[c.key()] = true
	}
	return out
}

// argoConditions are an Application's status.conditions (Argo CD's have a
// type and a message, no status).
func argoConditions(u *unstructured.Unstructured) []Condition {
	var out []Condition
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		out = append(out, Condition{Type: str(m["type"]), Status: "True", Message: str(m["message"])})
	}
	return out
}

// observeApplication is the observation kship records of an Application:
// its sync, health and operation as conditions, its conditions, and the
// revisions it reports.
func observeApplication(u *unstructured.Unstructured) *Observation {
	o := &Observation{Object: objectName("Application", u), Generation: u.GetGeneration(), ObservedGeneration: u.GetGeneration()}
	add := func(typ, status, msg string) {
		if status != "" {
			o.Conditions = append(o.Conditions, Condition{Type: typ, Status: status, Message: msg})
		}
	}
	add("Sync", field(u, "status", "sync", "status"), "")
	add("Health", field(u, "status", "health", "status"), field(u, "status", "health", "message"))
	add("Operation", field(u, "status", "operationState", "phase"), field(u, "status", "operationState", "message"))
	o.Conditions = append(o.Conditions, argoConditions(u)...)
	for _, r := range []Revision{{"sync.revision", field(u, "status", "sync", "revision")},
		{"operationState.syncResult.revision", field(u, "status", "operationState", "syncResult", "revision")}} {
		if r.Value != "" {
			o.Revisions = append(o.Revisions, r)
		}
	}
	return o
}
