package gitops

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/event"
)

// Commit is a commit kship pushed (event.TypeGitCommit): the evidence
// records every SHA.
type Commit struct {
	// Action is "commit" (a new revision) or "revert" (a rollback).
	Action     string `json:"action"`
	Repository string `json:"repository"`
	Branch     string `json:"branch"`
	Path       string `json:"path"`
	SHA        string `json:"sha"`
	// Parent is the head the commit was built on.
	Parent string `json:"parent,omitempty"`
	// Reverts is the SHA of the commit a revert undoes (empty when kship's
	// commit of that revision is not on the branch).
	Reverts string `json:"reverts,omitempty"`
	// Unchanged says the branch already held these manifests at the path:
	// nothing was pushed, SHA is the head.
	Unchanged bool `json:"unchanged,omitempty"`
	// Attempts is how many pushes it took (more than 1 after a race
	// with another commit); Raced lists the commits it was rebuilt on.
	Attempts int      `json:"attempts"`
	Raced    []Change `json:"raced,omitempty"`
	Files    int      `json:"files"`
}

// EventType is event.TypeGitCommit.
func (*Commit) EventType() event.Type { return event.TypeGitCommit }

func (c *Commit) String() string {
	if c.Unchanged {
		return fmt.Sprintf("branch %s already holds these manifests at %s (commit %s): nothing pushed", c.Branch, c.Path, c.SHA[:12])
	}
	s := fmt.Sprintf("pushed %s %s to branch %s (%d files at %s, on %s)", c.Action, c.SHA[:12], c.Branch, c.Files, c.Path, shortSHA(c.Parent))
	if len(c.Raced) > 0 {
		s += fmt.Sprintf(" after %d pushes: rebuilt on %d commits another client pushed meanwhile", c.Attempts, len(c.Raced))
	}
	return s
}

// Observation is the engine object's state as kship saw it
// (event.TypeGitOps): every change of a condition, with the revisions the
// object reports.
type Observation struct {
	// Object is "Kustomization flux-system/web", "GitRepository
	// flux-system/web" or "Application argocd/web".
	Object             string      `json:"object"`
	Generation         int64       `json:"generation"`
	ObservedGeneration int64       `json:"observedGeneration"`
	Revisions          []Revision  `json:"revisions,omitempty"`
	Conditions         []Condition `json:"conditions"`
}

// Revision is one revision field of the engine's status and its value.
type Revision struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Condition is one status condition (or, for Argo CD, one status field)
// of the engine's object.
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// EventType is event.TypeGitOps.
func (*Observation) EventType() event.Type { return event.TypeGitOps }

// String is the observation in one line.
func (o *Observation) String() string {
	var parts []string
	for _, c := range o.Conditions {
		p := c.Type + "=" + c.Status
		if c.Reason != "" {
			p += " " + c.Reason
		}
		if c.Message != "" {
			p += ": " + c.Message
		}
		parts = append(parts, p)
	}
	for _, r := range o.Revisions {
		parts = append(parts, r.Field+" "+r.Value)
	}
	if len(parts) == 0 {
		return "no status yet"
	}
	return strings.Join(parts, "; ")
}

// key is what makes two observations the same to a reader: kship records
// an observation only when it differs.
func (o *Observation) key() string {
	return fmt.Sprintf("%d/%d %s", o.Generation, o.ObservedGeneration, o.String())
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	if s == "" {
		return "an empty branch"
	}
	return s
}
