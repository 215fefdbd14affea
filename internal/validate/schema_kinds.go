package validate

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/builtin"
	"github.com/kship/kship/internal/suggest"
)

// builtinMistake explains a kind that is not built in but looks like a
// built-in one: a version the API does not have, or a misspelt kind.
// Versions the target Kubernetes does not serve are not suggested.
// It returns "" when the kind does not belong to a built-in group.
func builtinMistake(gvk schema.GroupVersionKind, target kubeVersion) string {
	var versions, kinds []string
	groupKnown := false
	for _, k := range builtin.Kinds() {
		if k.GVK.Group != gvk.Group {
			continue
		}
		groupKnown = true
		if st, _ := apiVerdict(k.GVK, target); st == Fail || !k.Applicable() {
			continue // not served by the target, or not an object one applies
		}
		if k.GVK.Kind == gvk.Kind {
			versions = append(versions, k.GVK.GroupVersion().String())
		}
		if k.GVK.Version == gvk.Version {
			kinds = append(kinds, k.GVK.Kind)
		}
	}
	gv := gvk.GroupVersion().String()
	switch {
	case !groupKnown:
		return ""
	case len(versions) > 0:
		sort.Strings(versions)
		return fmt.Sprintf("%s has no kind %s: use %s", gv, gvk.Kind, strings.Join(versions, " or "))
	}
	if best := closest(gvk.Kind, kinds); best != "" {
		return fmt.Sprintf("%s has no kind %s: did you mean %s?", gv, gvk.Kind, best)
	}
	if len(kinds) == 0 {
		return fmt.Sprintf("%s is not an API version Kubernetes %s serves", gv, target)
	}
	return fmt.Sprintf("%s has no kind %s", gv, gvk.Kind)
}

// closest returns the candidate nearest to s (case-insensitive edit
// distance at most 2), or "".
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	sort.Strings(candidates)
	for _, c := range candidates {
		if d := suggest.Distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
