package helm

import (
	"fmt"
	"sort"
	"strings"
	"time"

	release "helm.sh/helm/v4/pkg/release/v1"
)

// HookRun is one hook Helm ran (a Job, a Pod, or any other object the
// chart annotates helm.sh/hook), as Helm recorded it in the revision.
type HookRun struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Path is the hook's template in the chart ("web/templates/migrate.yaml").
	Path   string   `json:"path"`
	Events []string `json:"events"`
	Weight int      `json:"weight,omitempty"`
	// Phase is Helm's: Succeeded, Failed, Running (the run was cut short)
	// or Unknown.
	Phase       string    `json:"phase"`
	StartedAt   time.Time `json:"startedAt"`
	CompletedAt time.Time `json:"completedAt,omitzero"`
	// DeletePolicies say when Helm deletes the hook's object
	// (before-hook-creation, hook-succeeded, hook-failed).
	DeletePolicies []string `json:"deletePolicies,omitempty"`
}

// String is "Job shop/web-migrate (pre-upgrade): Succeeded in 1.2s".
func (h HookRun) String() string {
	s := fmt.Sprintf("%s %s (%s): %s", h.Kind, h.Name, strings.Join(h.Events, ", "), h.Phase)
	if !h.CompletedAt.IsZero() {
		s += fmt.Sprintf(" in %s", h.CompletedAt.Sub(h.StartedAt).Round(100*time.Millisecond))
	}
	return s
}

// hookRuns are the hooks of a revision that ran at or after since, in the
// order they started.
func hookRuns(hooks []*release.Hook, since time.Time) []HookRun {
	var out []HookRun
	for _, h := range hooks {
		if h == nil || h.LastRun.StartedAt.IsZero() || h.LastRun.StartedAt.Before(since.Add(-time.Second)) {
			continue
		}
		run := HookRun{Kind: h.Kind, Name: h.Name, Path: h.Path, Weight: h.Weight, Phase: string(h.LastRun.Phase),
			StartedAt: h.LastRun.StartedAt, CompletedAt: h.LastRun.CompletedAt}
		for _, e := range h.Events {
			run.Events = append(run.Events, string(e))
		}
		for _, p := range h.DeletePolicies {
			run.DeletePolicies = append(run.DeletePolicies, string(p))
		}
		out = append(out, run)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartedAt.Before(out[j].StartedAt) })
	return out
}

// hookSummary lists hooks in one phrase.
func hookSummary(hs []HookRun) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = h.String()
	}
	return strings.Join(parts, "; ")
}
