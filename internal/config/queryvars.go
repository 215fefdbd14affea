package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The template variables a gate query may use, written {{.Name}}. The
// executor expands them before the query is sent, so a gate can measure
// only the new revision's pods, e.g.
//
//	sum(rate(http_requests_total{namespace="{{.Namespace}}",pod_template_hash=~"{{.PodTemplateHash}}",code=~"5.."}[20s]))
const (
	// VarNamespace is the release's namespace (spec.namespace).
	VarNamespace = "Namespace"
	// VarRelease is the release's name (metadata.name).
	VarRelease = "Release"
	// VarRevision is the revision being released (1, 2, ...).
	VarRevision = "Revision"
	// VarPodTemplateHash is the pod-template-hash label of the new pods:
	// one hash per Deployment of the release, joined with "|" (sorted), so
	// it is written in a regular-expression matcher (=~).
	VarPodTemplateHash = "PodTemplateHash"
)

// QueryVariables lists the template variables in the order the
// documentation gives them.
var QueryVariables = []string{VarNamespace, VarRelease, VarRevision, VarPodTemplateHash}

// QueryVars are the values of a gate query's template variables for one
// release attempt.
type QueryVars struct {
	Namespace string `json:"namespace,omitempty"`
	Release   string `json:"release,omitempty"`
	// Revision is the revision being released; 0 when not known.
	Revision int `json:"revision,omitempty"`
	// PodTemplateHashes are the pod-template-hash labels of the new pods,
	// one per Deployment; none when not known.
	PodTemplateHashes []string `json:"podTemplateHashes,omitempty"`
}

// value returns the text a variable expands to, or an error saying it is
// not known at this point.
func (v QueryVars) value(name string) (string, error) {
	var s string
	switch name {
	case VarNamespace:
		s = v.Namespace
	case VarRelease:
		s = v.Release
	case VarRevision:
		if v.Revision > 0 {
			s = strconv.Itoa(v.Revision)
		}
	case VarPodTemplateHash:
		hashes := append([]string(nil), v.PodTemplateHashes...)
		sort.Strings(hashes)
		s = strings.Join(hashes, "|")
	}
	if s == "" {
		return "", fmt.Errorf("{{.%s}} is not known yet (the query cannot be sent before the new pods exist)", name)
	}
	return s, nil
}

// ExpandQuery replaces every template variable of a gate query with its
// value: the query as it is sent to Prometheus (and shown in the plan and
// the evidence). An unknown variable, or one whose value is not known, is
// an error naming it.
func ExpandQuery(q string, v QueryVars) (string, error) {
	out, _, err := expandVars(q, v.value)
	return out, err
}

// UsedVariables returns the template variables q uses, each once, in the
// order they first appear; an unknown or malformed one is an error.
func UsedVariables(q string) ([]string, error) {
	var used []string
	seen := map[string]bool{}
	_, _, err := expandVars(q, func(name string) (string, error) {
		if !seen[name] {
			seen[name] = true
			used = append(used, name)
		}
		return "", nil
	})
	return used, err
}

// expandVars replaces each {{.Name}} (spaces inside the braces allowed)
// with value(Name). It also returns, for every byte offset of the output
// (and its end), the offset in q it came from, so a parser position in the
// expanded query can be shown in the query as written.
func expandVars(q string, value func(string) (string, error)) (string, []int, error) {
	var b strings.Builder
	var from []int
	i := 0
	for {
		j := strings.Index(q[i:], "{{")
		if j < 0 {
			break
		}
		start := i + j
		end := strings.Index(q[start:], "}}")
		if end < 0 {
			return "", nil, fmt.Errorf("template variable at character %d is not closed: write it like {{.%s}}", start+1, VarNamespace)
		}
		end += start + 2
		name, err := varName(q[start:end])
		if err != nil {
			return "", nil, err
		}
		val, err := value(name)
		if err != nil {
			return "", nil, err
		}
		for k := i; k < start; k++ {
			from = append(from, k)
		}
		b.WriteString(q[i:start])
		for range len(val) {
			from = append(from, start)
		}
		b.WriteString(val)
		i = end
	}
	for k := i; k <= len(q); k++ {
		from = append(from, k)
	}
	b.WriteString(q[i:])
	return b.String(), from, nil
}

// varName checks one "{{ ... }}" and returns the variable it names.
func varName(tmpl string) (string, error) {
	inner := strings.TrimSpace(tmpl[2 : len(tmpl)-2])
	known := "known variables are {{." + strings.Join(QueryVariables, "}}, {{.") + "}}"
	name, ok := strings.CutPrefix(inner, ".")
	if !ok || name == "" || strings.ContainsAny(name, " .|()\"") {
		return "", fmt.Errorf("%s is not a template variable: write one of the form {{.%s}}; %s", tmpl, VarNamespace, known)
	}
	for _, k := range QueryVariables {
		if name == k {
			return name, nil
		}
	}
	if s := closest(name, QueryVariables); s != "" {
		return "", fmt.Errorf("unknown template variable {{.%s}}; did you mean {{.%s}}?", name, s)
	}
	return "", fmt.Errorf("unknown template variable {{.%s}}; %s", name, known)
}
