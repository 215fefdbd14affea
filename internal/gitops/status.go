package gitops

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Reading the engines' objects: what kship needs of a Flux Kustomization
// and GitRepository and of an Argo CD Application is a few status fields,
// read from unstructured objects (no engine API module: their contract is
// the fields, and the same code reads what any version of them writes).

// condition is one of an object's status.conditions.
func conditionOf(u *unstructured.Unstructured, typ string) (Condition, bool) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			return Condition{Type: typ, Status: str(m["status"]), Reason: str(m["reason"]), Message: str(m["message"])}, true
		}
	}
	return Condition{}, false
}

// conditions are every status condition, in the object's order.
func conditions(u *unstructured.Unstructured) []Condition {
	var out []Condition
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		out = append(out, Condition{Type: str(m["type"]), Status: str(m["status"]), Reason: str(m["reason"]), Message: str(m["message"])})
	}
	return out
}

func str(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func field(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

func observedGeneration(u *unstructured.Unstructured) int64 {
	g, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	return g
}

// current says the controller has seen the object's latest spec.
func current(u *unstructured.Unstructured) bool { return observedGeneration(u) == u.GetGeneration() }

// conditionCurrent says the condition typ was written for the object's
// latest spec: Flux leaves status.observedGeneration at its last success
// (-1 before the first) when a reconcile fails, and writes the failure's
// generation on the condition.
func conditionCurrent(u *unstructured.Unstructured, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			g, ok := m["observedGeneration"].(int64)
			return ok && g == u.GetGeneration()
		}
	}
	return false
}

// revisionSHA is the commit of a Flux revision ("main@sha1:<sha>",
// "refs/heads/main@sha256:<sha>", the older "main/<sha>") or of an Argo
// CD revision (the SHA itself).
func revisionSHA(rev string) string {
	if i := strings.LastIndex(rev, ":"); i >= 0 {
		return rev[i+1:]
	}
	if i := strings.LastIndex(rev, "/"); i >= 0 {
		return rev[i+1:]
	}
	return rev
}

// observe is the observation kship records of u.
func observe(kind string, u *unstructured.Unstructured, revisions ...Revision) *Observation {
	o := &Observation{Object: fmt.Sprintf("%s %s/%s", kind, u.GetNamespace(), u.GetName()),
		Generation: u.GetGeneration(), ObservedGeneration: observedGeneration(u), Conditions: conditions(u)}
	for _, r := range revisions {
		if r.Value != "" {
			o.Revisions = append(o.Revisions, r)
		}
	}
	return o
}
