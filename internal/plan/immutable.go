package plan

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
)

// knownImmutable are fields of built-in kinds that cannot change once the
// object exists. They are compared between the manifest and the live object
// when the manifest sets them, in addition to what the dry-run reports.
var knownImmutable = map[string][][]string{
	"apps/Deployment":                       {{"spec", "selector"}},
	"apps/ReplicaSet":                       {{"spec", "selector"}},
	"apps/DaemonSet":                        {{"spec", "selector"}},
	"apps/StatefulSet":                      {{"spec", "selector"}, {"spec", "serviceName"}, {"spec", "podManagementPolicy"}, {"spec", "volumeClaimTemplates"}},
	"/Service":                              {{"spec", "clusterIP"}},
	"batch/Job":                             {{"spec", "selector"}, {"spec", "completionMode"}},
	"/PersistentVolumeClaim":                {{"spec", "accessModes"}, {"spec", "storageClassName"}, {"spec", "volumeMode"}, {"spec", "volumeName"}, {"spec", "selector"}},
	"rbac.authorization.k8s.io/RoleBinding": {{"roleRef"}},
	"rbac.authorization.k8s.io/ClusterRoleBinding": {{"roleRef"}},
}

// immutableFromManifest returns the known immutable paths the manifest sets
// to a value different from the live object's.
func immutableFromManifest(desired, live *unstructured.Unstructured) []string {
	if live == nil {
		return nil
	}
	gvk := desired.GroupVersionKind()
	var out []string
	for _, p := range knownImmutable[gvk.Group+"/"+gvk.Kind] {
		want, found, _ := unstructured.NestedFieldNoCopy(desired.Object, p...)
		if !found || want == nil || want == "" {
			continue
		}
		have, _, _ := unstructured.NestedFieldNoCopy(live.Object, p...)
		if !covers(have, want) {
			out = append(out, strings.Join(p, "."))
		}
	}
	return out
}

// covers reports whether have holds every field want sets (the live object
// carries defaults the manifest leaves out).
func covers(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !covers(h[k], v) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !covers(h[i], w[i]) {
				return false
			}
		}
		return true
	}
	return equal(have, want)
}

// immutableFromError returns the fields a dry-run error says cannot change.
func immutableFromError(err error) []string {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return nil
	}
	s := st.Status()
	var out []string
	if s.Details != nil {
		for _, c := range s.Details.Causes {
			if isImmutableMessage(c.Message) && c.Field != "" {
				out = append(out, c.Field)
			}
		}
	}
	if len(out) == 0 && isImmutableMessage(s.Message) {
		out = append(out, "spec")
	}
	return out
}

// undeclaredField finds the path in the server's strict-decoding message
// ".spec.foo: field not declared in schema".
var undeclaredField = regexp.MustCompile(`(\.[^\s:]+): field not declared in schema`)

// causeFields returns the field paths an API error's causes name.
func causeFields(err error) []string {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return nil
	}
	var out []string
	for _, m := range undeclaredField.FindAllStringSubmatch(st.Status().Message, -1) {
		out = append(out, strings.TrimPrefix(m[1], "."))
	}
	if st.Status().Details == nil {
		return mergePaths(out)
	}
	for _, c := range st.Status().Details.Causes {
		if c.Field != "" {
			out = append(out, strings.TrimPrefix(c.Field, "."))
		}
	}
	return mergePaths(out)
}

func isImmutableMessage(m string) bool {
	return strings.Contains(m, "field is immutable") ||
		strings.Contains(m, "updates to statefulset spec for fields other than") ||
		strings.Contains(m, "pod updates may not change fields")
}

// mergePaths returns the sorted union of path lists.
func mergePaths(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, p := range l {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ImmutableAdvice says what to do instead of changing an immutable field.
func ImmutableAdvice(ref manifest.Ref, path string) string {
	kind, name := ref.Kind, ref.Name
	lower := strings.ToLower(kind)
	switch {
	case (kind == "Deployment" || kind == "ReplicaSet" || kind == "DaemonSet") && strings.HasPrefix(path, "spec.selector"):
		return fmt.Sprintf("delete and recreate the %s (`kubectl delete %s %s`, then deploy; its pods go down meanwhile), or give it a new name so the old one is pruned after the new one is ready", kind, lower, name)
	case kind == "StatefulSet":
		return fmt.Sprintf("delete the StatefulSet keeping its pods and claims (`kubectl delete statefulset %s --cascade=orphan`) and deploy again, or rename it", name)
	case kind == "Service":
		return fmt.Sprintf("remove spec.clusterIP from the manifest so the server keeps the assigned one, or delete and recreate the Service %s", name)
	case kind == "Job":
		return fmt.Sprintf("a Job cannot change once created: give it a new name (for example with the version as a suffix), or delete Job %s first", name)
	case kind == "PersistentVolumeClaim":
		return "only spec.resources.requests can change: create a new claim with the new spec and migrate the data"
	case kind == "RoleBinding" || kind == "ClusterRoleBinding":
		return fmt.Sprintf("roleRef cannot change: delete %s %s and deploy again, or create a binding with a new name", kind, name)
	case kind == "ConfigMap" || kind == "Secret":
		return fmt.Sprintf("the %s is immutable: create it under a new name and point the workloads to it", kind)
	}
	return fmt.Sprintf("delete and recreate %s, or give it a new name", ref)
}
