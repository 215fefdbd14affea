package evidence

import (
	"encoding/base64"
	"sort"
	"strings"
	"sync"

	"github.com/kship/kship/internal/manifest"
)

// MinSecretLen is the shortest Secret value the Redactor looks for in free
// text; shorter values would match ordinary words and numbers (see
// Unmaskable).
const MinSecretLen = 4

// Mask replaces a Secret value wherever the Redactor finds it.
const Mask = "[redacted]"

// Redactor removes known Secret values and credentials from text. It is the
// one redaction path of kship: every output (views, JSON, evidence files),
// every event of the stream and every message stored in the cluster passes
// through it. Stages never put Secret values in events on purpose; the
// Redactor is what makes a leak in one stage unable to reach a file, a
// terminal or a revision.
//
// It looks for each value in every encoding the value can take on its way
// out (Forms: plain, base64, URL/percent escaping, JSON, Go, YAML, HTML and
// XML escaping, and two levels of these nested), and for every credential
// in a URL's userinfo wherever a URL appears. Values too short or too
// common to mask without destroying the output ("1", "true") are not
// looked for; Unmaskable lists where they came from (never the value).
//
// A Redactor is safe for concurrent use; values added later apply to every
// call after the Add.
type Redactor struct {
	mu sync.RWMutex
	// values are the plain values added, forms every encoding of them.
	values     map[string]bool
	forms      map[string]bool
	long       map[longForm]bool // forms longer than longFormLen, by digest
	unmaskable []Unmaskable
	match      *matcher // built from forms on first use after an Add
}

// Unmaskable is a value the Redactor does not look for in free text, named
// by where it came from.
type Unmaskable struct {
	// Source is where the value is: "Secret shop/db key flag",
	// "spec.verify.smoke[0].http.headers.X-Token".
	Source string `json:"source"`
	// Reason says why: "shorter than 4 characters", "a common word".
	Reason string `json:"reason"`
}

// NewRedactor returns a Redactor that knows the values of every Secret
// among objs (data, decoded and as written, and stringData).
func NewRedactor(objs ...[]manifest.Object) *Redactor {
	r := &Redactor{}
	r.AddObjects(objs...)
	return r
}

// AddObjects adds the values of every Secret among objs.
func (r *Redactor) AddObjects(objs ...[]manifest.Object) {
	for _, set := range objs {
		for _, o := range set {
			if o.Obj == nil || o.Obj.GetKind() != "Secret" || o.Obj.GroupVersionKind().Group != "" {
				continue
			}
			r.addSecret(o.Obj.GetNamespace(), o.Obj.GetName(), o.Obj.Object)
		}
	}
}

// Add adds values to look for, in every form (Forms).
func (r *Redactor) Add(values ...string) {
	for _, v := range values {
		r.addValue("", v)
	}
}

func (r *Redactor) addSecret(ns, name string, obj map[string]any) {
	src := func(k string) string { return "Secret " + joinNS(ns, name) + " key " + k }
	if data, ok := obj["data"].(map[string]any); ok {
		for k, v := range sortedKeys(data) {
			s, _ := v.(string)
			dec, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				r.addValue(src(k), s) // not valid base64: the API server refuses it, but it is still the value
				continue
			}
			if r.addValue(src(k), string(dec)) {
				r.addForm(s) // as written, which may differ from the canonical encoding (a trailing newline)
			}
		}
	}
	if data, ok := obj["stringData"].(map[string]any); ok {
		for k, v := range sortedKeys(data) {
			s, _ := v.(string)
			r.addValue(src(k), s)
		}
	}
}

// addValue adds v in every form and reports whether it is looked for;
// source names it in Unmaskable when it is not.
func (r *Redactor) addValue(source, v string) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	if why := unmaskable(v); why != "" {
		if source != "" {
			r.mu.Lock()
			r.unmaskable = append(r.unmaskable, Unmaskable{Source: source, Reason: why})
			r.mu.Unlock()
		}
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.values[v] {
		return true
	}
	if r.values == nil {
		r.values, r.forms = map[string]bool{}, map[string]bool{}
	}
	r.values[v] = true
	eachForm(v, r.putForm)
	// The lines of a multi-line value (a PEM key, a config file) each on
	// their own: YAML block scalars and diffs print them one per line. A
	// line is printed as it is or escaped once, never base64-encoded or
	// escaped twice on its own, so the lines of a value longer than
	// longFormLen get those forms only: every form of each of the
	// thousands of lines of a megabyte value was half a gigabyte of forms.
	if strings.Contains(v, "\n") {
		forms := Forms
		if len(v) > longFormLen {
			forms = levelOneForms
		}
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSpace(line); len(line) >= 2*MinSecretLen && unmaskable(line) == "" {
				for _, f := range forms(line) {
					r.putForm(f)
				}
			}
		}
	}
	r.match = nil
	return true
}

// addForm adds one exact string (no further encodings).
func (r *Redactor) addForm(f string) {
	if len(f) < MinSecretLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forms == nil {
		r.values, r.forms = map[string]bool{}, map[string]bool{}
	}
	r.putForm(f)
	r.match = nil
}

// putForm records one form, a long one by its digest; r.mu is held.
func (r *Redactor) putForm(f string) {
	if len(f) > longFormLen {
		if r.long == nil {
			r.long = map[longForm]bool{}
		}
		r.long[longFormOf(f)] = true
		return
	}
	r.forms[f] = true
}

// Unmaskable lists the values that were not added because they are too
// short or too common to look for (kship check warns about each one).
func (r *Redactor) Unmaskable() []Unmaskable {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]Unmaskable(nil), r.unmaskable...)
}

// matcher returns the matcher of every known form, nil when there is
// none.
func (r *Redactor) matcher() *matcher {
	r.mu.RLock()
	m, n := r.match, len(r.forms)+len(r.long)
	r.mu.RUnlock()
	if m != nil || n == 0 {
		return m
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.match == nil {
		r.match = newMatcher(r.forms, r.long)
	}
	return r.match
}

// String returns s with every known Secret value and every URL credential
// masked.
func (r *Redactor) String(s string) string {
	if r == nil {
		return maskUserinfo(s)
	}
	if m := r.matcher(); m != nil {
		s, _ = replace(m, s)
	}
	return maskUserinfo(s)
}

// Bytes returns b with every known Secret value and every URL credential
// masked.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil {
		return maskUserinfoBytes(b)
	}
	if m := r.matcher(); m != nil {
		b, _ = replace(m, b)
	}
	return maskUserinfoBytes(b)
}

func joinNS(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// sortedKeys iterates a map in key order, so Unmaskable is stable.
func sortedKeys(m map[string]any) func(func(string, any) bool) {
	return func(yield func(string, any) bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
