package plan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// noiseAnnotations are annotations the server or other tools set that say
// nothing about the release's intent.
var noiseAnnotations = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	"deployment.kubernetes.io/revision",
	"kubectl.kubernetes.io/restartedAt",
}

// noiseMetadata are metadata fields the server sets on every write.
var noiseMetadata = []string{
	"managedFields", "resourceVersion", "generation", "uid",
	"creationTimestamp", "selfLink",
}

// Normalize returns a copy of u without status and server-set noise, the
// form live objects and dry-run results are compared in.
func Normalize(u *unstructured.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	obj := u.DeepCopy().Object
	delete(obj, "status")
	md, _ := obj["metadata"].(map[string]any)
	for _, f := range noiseMetadata {
		delete(md, f)
	}
	if ann, ok := md["annotations"].(map[string]any); ok {
		for _, a := range noiseAnnotations {
			delete(ann, a)
		}
		if len(ann) == 0 {
			delete(md, "annotations")
		}
	}
	return obj
}

// Diff compares the normalized live object with the normalized dry-run
// result and returns every changed field, sorted by path. Secret data is
// always masked.
func Diff(live, desired *unstructured.Unstructured) []FieldDiff {
	l, d := Normalize(live), Normalize(desired)
	if isSecret(desired) || isSecret(live) {
		return secretDiff(l, d)
	}
	var out []FieldDiff
	walk("", l, d, &out)
	sortDiffs(out)
	return out
}

func sortDiffs(out []FieldDiff) {
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
}

// walk appends the differences between a and b under path.
func walk(path string, a, b any, out *[]FieldDiff) {
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			walkMap(path, av, bv, out)
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			walkList(path, av, bv, out)
			return
		}
	}
	if equal(a, b) {
		return
	}
	*out = append(*out, leaf(path, a, b))
}

func walkMap(path string, a, b map[string]any, out *[]FieldDiff) {
	for _, k := range unionKeys(a, b) {
		av, aok := a[k]
		bv, bok := b[k]
		p := joinPath(path, k)
		switch {
		case aok && !bok:
			*out = append(*out, FieldDiff{Path: p, Op: OpRemoved, Old: render(av)})
		case !aok && bok:
			*out = append(*out, FieldDiff{Path: p, Op: OpAdded, New: render(bv)})
		default:
			walk(p, av, bv, out)
		}
	}
}

// walkList compares lists by their merge key when they have one
// (containers by name, ports by containerPort, ...), else by index.
func walkList(path string, a, b []any, out *[]FieldDiff) {
	key := listKey(a, b)
	if key == "" {
		walkIndexed(path, a, b, out)
		return
	}
	am, bm := keyed(a, key), keyed(b, key)
	seen := map[string]bool{}
	var order []string
	for _, l := range [][]any{a, b} {
		for _, e := range l {
			k := keyValue(e, key)
			if !seen[k] {
				seen[k] = true
				order = append(order, k)
			}
		}
	}
	for _, k := range order {
		p := fmt.Sprintf("%s[%s=%s]", path, key, k)
		av, aok := am[k]
		bv, bok := bm[k]
		switch {
		case aok && !bok:
			*out = append(*out, FieldDiff{Path: p, Op: OpRemoved, Old: render(av)})
		case !aok && bok:
			*out = append(*out, FieldDiff{Path: p, Op: OpAdded, New: render(bv)})
		default:
			walk(p, av, bv, out)
		}
	}
}

func walkIndexed(path string, a, b []any, out *[]FieldDiff) {
	for i := 0; i < len(a) || i < len(b); i++ {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case i >= len(b):
			*out = append(*out, FieldDiff{Path: p, Op: OpRemoved, Old: render(a[i])})
		case i >= len(a):
			*out = append(*out, FieldDiff{Path: p, Op: OpAdded, New: render(b[i])})
		default:
			walk(p, a[i], b[i], out)
		}
	}
}

// listKeyCandidates are the merge keys kship knows, most specific first,
// matching the keys server-side apply uses for the built-in list types.
var listKeyCandidates = []string{"containerPort", "mountPath", "devicePath", "port", "name", "ip", "type"}

// listKey picks the merge key of a list: the first candidate every element
// of both lists has, with unique values. Lists of scalars have none.
func listKey(a, b []any) string {
	for _, k := range listKeyCandidates {
		if uniqueKey(a, k) && uniqueKey(b, k) && (len(a) > 0 || len(b) > 0) {
			return k
		}
	}
	return ""
}

func uniqueKey(l []any, key string) bool {
	seen := map[string]bool{}
	for _, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		v, ok := m[key]
		if !ok {
			return false
		}
		k := fmt.Sprint(v)
		if seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

func keyed(l []any, key string) map[string]any {
	m := make(map[string]any, len(l))
	for _, e := range l {
		m[keyValue(e, key)] = e
	}
	return m
}

func keyValue(e any, key string) string {
	m, _ := e.(map[string]any)
	return fmt.Sprint(m[key])
}

func leaf(path string, a, b any) FieldDiff {
	switch {
	case a == nil:
		return FieldDiff{Path: path, Op: OpAdded, New: render(b)}
	case b == nil:
		return FieldDiff{Path: path, Op: OpRemoved, Old: render(a)}
	}
	return FieldDiff{Path: path, Op: OpChanged, Old: render(a), New: render(b)}
}

// render writes a value as compact JSON, cut at 200 characters.
func render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

// equal compares two values by their JSON form, so int64(1) and
// float64(1) (YAML and JSON decoders disagree on number types) are equal.
func equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && string(ja) == string(jb)
}

func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// joinPath appends a map key to a path, quoting keys that contain dots
// (label and annotation names) so the path stays readable.
func joinPath(path, key string) string {
	if strings.ContainsAny(key, "./[]") {
		key = fmt.Sprintf("[%q]", key)
		return path + key
	}
	if path == "" {
		return key
	}
	return path + "." + key
}
