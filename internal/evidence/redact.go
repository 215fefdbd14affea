package evidence

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"

	"github.com/kship/kship/internal/manifest"
)

// MinSecretLen is the shortest Secret value the Redactor looks for; shorter
// values would match ordinary words and numbers.
const MinSecretLen = 4

// Mask replaces a Secret value wherever the Redactor finds it.
const Mask = "[redacted]"

// Redactor removes known Secret values from text. Stages never put Secret
// values in events; the Redactor is the second line of defence on every
// byte kship writes (views, evidence files), so a leak in one stage cannot
// reach a file or a terminal.
type Redactor struct {
	values []string
}

// NewRedactor collects the values of every Secret among objs (data, decoded
// and as written, and stringData).
func NewRedactor(objs ...[]manifest.Object) *Redactor {
	r := &Redactor{}
	for _, set := range objs {
		for _, o := range set {
			if o.Obj == nil || o.Obj.GetKind() != "Secret" || o.Obj.GroupVersionKind().Group != "" {
				continue
			}
			r.addSecret(o.Obj.Object)
		}
	}
	return r
}

// Add adds values to look for.
func (r *Redactor) Add(values ...string) {
	for _, v := range values {
		r.add(v)
	}
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
}

func (r *Redactor) addSecret(obj map[string]any) {
	if data, ok := obj["data"].(map[string]any); ok {
		for _, v := range data {
			s, _ := v.(string)
			r.Add(s)
			if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
				r.Add(string(dec))
			}
		}
	}
	if data, ok := obj["stringData"].(map[string]any); ok {
		for _, v := range data {
			s, _ := v.(string)
			r.Add(s, base64.StdEncoding.EncodeToString([]byte(s)))
		}
	}
}

func (r *Redactor) add(v string) {
	v = strings.TrimSpace(v)
	if len(v) < MinSecretLen {
		return
	}
	forms := []string{v}
	if b, err := json.Marshal(v); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	for _, f := range forms {
		dup := false
		for _, have := range r.values {
			dup = dup || have == f
		}
		if !dup {
			r.values = append(r.values, f)
		}
	}
}

// String returns s with every known Secret value masked.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	return s
}

// Bytes returns b with every known Secret value masked.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	for _, v := range r.values {
		if bytes.Contains(b, []byte(v)) {
			b = bytes.ReplaceAll(b, []byte(v), []byte(Mask))
		}
	}
	return b
}
