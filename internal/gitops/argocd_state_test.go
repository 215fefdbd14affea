package gitops

import (
	"errors"
	"strings"
	"testing"
)

// Error conditions of an Application after kship asked it to sync commit sha, with the
// error conditions it had before kship asked.
func TestApplicationSyncedStaleConditions(t *testing.T) {
	const (
		asked     = "metadata: {name: app, namespace: argocd, annotations: {argocd.argoproj.io/refresh: normal}}\n"
		refreshed = "metadata: {name: app, namespace: argocd}\n"
		staleCmp  = `{type: ComparisonError, message: "rpc error: repository not found", lastTransitionTime: "2026-12-01T10:00:00Z"}`
		staleSync = `{type: SyncError, message: "one or more objects failed to apply", lastTransitionTime: "2026-12-01T10:00:00Z"}`
	)
	before := `{conditions: [` + staleCmp + `, ` + staleSync + `]}`
	synced := `sync: {status: Synced, revision: ` + sha + `}, operationState: {phase: Succeeded, syncResult: {revision: ` + sha + `}}`
	tests := []struct {
		name, meta, before, status string
		done                       bool
		err                        string // substring of Argo CD's error; "" for none
	}{
		{"synced", refreshed, "{}", "{" + synced + "}", true, ""},
		{"operation running", asked, "{}", "{operationState: {phase: Running}}", false, ""},
		{"operation failed for kship's commit", refreshed, "{}", `{operationState: {phase: Failed, message: "admission webhook denied", syncResult: {revision: ` + sha + `}}}`, false, "operation Failed: admission webhook denied"},
		{"an earlier operation failed", refreshed, "{}", `{operationState: {phase: Failed, message: old, syncResult: {revision: ffff}}}`, false, ""},
		{"a new ComparisonError", asked, "{}", `{conditions: [{type: ComparisonError, message: "manifest generation error", lastTransitionTime: "2026-12-01T11:00:00Z"}]}`, false, "ComparisonError: manifest generation error"},
		{"a stale ComparisonError, not refreshed yet", asked, before, `{conditions: [` + staleCmp + `]}`, false, ""},
		{"a stale ComparisonError, refreshed and synced", refreshed, before, "{" + synced + "}", true, ""},
		{"a stale ComparisonError that stands after the refresh", refreshed, before, `{conditions: [` + staleCmp + `]}`, false, "ComparisonError: rpc error: repository not found"},
		{"the same type with a new message", asked, before, `{conditions: [{type: ComparisonError, message: "path apps/app does not exist", lastTransitionTime: "2026-12-01T10:00:00Z"}]}`, false, "path apps/app does not exist"},
		{"a stale SyncError while kship's sync runs", refreshed, before, `{conditions: [` + staleSync + `], operationState: {phase: Running}}`, false, ""},
		{"a stale SyncError beside kship's synced commit", refreshed, before, `{conditions: [` + staleSync + `], ` + synced + `}`, true, ""},
		{"a warning condition", refreshed, "{}", `{conditions: [{type: OrphanedResourceWarning, message: "1 orphaned"}], ` + synced + `}`, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
			was := errorConditionsOf(obj(t, head+refreshed+"status: "+tt.before+"\n"))
			done, _, err := applicationSynced(obj(t, head+tt.meta+"status: "+tt.status+"\n"), sha, was)
			if done != tt.done {
				t.Errorf("done = %v, want %v", done, tt.done)
			}
			var ae *ArgoCDError
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.err != "" && (!errors.As(err, &ae) || !strings.Contains(err.Error(), tt.err) || ae.Object != "Application argocd/app"):
				t.Errorf("error %v, want Argo CD's %q", err, tt.err)
			}
		})
	}
}
