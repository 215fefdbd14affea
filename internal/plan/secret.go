package plan

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func isSecret(u *unstructured.Unstructured) bool {
	if u == nil {
		return false
	}
	gvk := u.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Secret"
}

// secretDiff diffs two normalized Secrets: every field but the data is
// compared as usual; each data key is reported as added, removed, changed or
// unchanged, never with its value.
func secretDiff(live, desired map[string]any) []FieldDiff {
	ld, dd := secretData(live), secretData(desired)
	var out []FieldDiff
	walk("", withoutData(live), withoutData(desired), &out)
	keys := map[string]bool{}
	for k := range ld {
		keys[k] = true
	}
	for k := range dd {
		keys[k] = true
	}
	var data []FieldDiff
	changed := false
	for k := range keys {
		lv, lok := ld[k]
		dv, dok := dd[k]
		op := OpUnchanged
		switch {
		case !lok:
			op = OpAdded
		case !dok:
			op = OpRemoved
		case lv != dv:
			op = OpChanged
		}
		changed = changed || op != OpUnchanged
		data = append(data, FieldDiff{Path: joinPath("data", k), Op: op, Masked: true})
	}
	if changed || len(out) > 0 {
		out = append(out, data...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// secretData returns a Secret's data as decoded strings, stringData merged
// in the way the API server does (stringData wins).
func secretData(obj map[string]any) map[string]string {
	out := map[string]string{}
	if obj == nil {
		return out
	}
	if d, ok := obj["data"].(map[string]any); ok {
		for k, v := range d {
			s := fmt.Sprint(v)
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				s = string(b)
			}
			out[k] = s
		}
	}
	if d, ok := obj["stringData"].(map[string]any); ok {
		for k, v := range d {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

func withoutData(obj map[string]any) map[string]any {
	if obj == nil {
		return nil
	}
	c := make(map[string]any, len(obj))
	for k, v := range obj {
		if k != "data" && k != "stringData" {
			c[k] = v
		}
	}
	return c
}

// SecretValues returns every value of the Secrets among objs, plain and
// base64-encoded, so messages can be scrubbed of them.
func SecretValues(objs ...*unstructured.Unstructured) []string {
	var out []string
	for _, u := range objs {
		if !isSecret(u) {
			continue
		}
		for _, v := range secretData(u.Object) {
			if len(v) < 4 {
				continue // too short to scrub without mangling messages
			}
			out = append(out, v, base64.StdEncoding.EncodeToString([]byte(v)))
		}
	}
	return out
}

// Scrub replaces every secret value in msg with "(redacted)".
func Scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "(redacted)")
		}
	}
	return msg
}
