package validate

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// pathElem is one step of a field path: a map key or a list index.
type pathElem struct {
	key   string
	index int // -1 for a key
}

// fieldPath is a path into an object, e.g. spec.template.spec.containers[0].
type fieldPath []pathElem

func (p fieldPath) String() string {
	var b strings.Builder
	for _, e := range p {
		if e.index >= 0 {
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.key)
	}
	return b.String()
}

// keys builds a path of map keys.
func keys(k ...string) fieldPath {
	p := make(fieldPath, len(k))
	for i, s := range k {
		p[i] = pathElem{key: s, index: -1}
	}
	return p
}

// with returns a copy of p extended by key k or index i (k == "").
func (p fieldPath) with(k string, i int) fieldPath {
	out := make(fieldPath, len(p), len(p)+1)
	copy(out, p)
	if k != "" {
		return append(out, pathElem{key: k, index: -1})
	}
	return append(out, pathElem{index: i})
}

// fieldError is one schema violation at a path.
type fieldError struct {
	path fieldPath
	msg  string
}

// schemaWalker checks a decoded object against a typeSchema and collects
// every violation (it never stops at the first).
type schemaWalker struct {
	path fieldPath
	errs []fieldError
	// inStatus is set below the top-level status, which users do not
	// write and the server ignores: no required-field checks there.
	inStatus bool
}

func (w *schemaWalker) fail(format string, args ...any) {
	p := make(fieldPath, len(w.path))
	copy(p, w.path)
	w.errs = append(w.errs, fieldError{path: p, msg: fmt.Sprintf(format, args...)})
}

// sorted returns the errors ordered by path, for stable reports.
func (w *schemaWalker) sorted() []fieldError {
	sort.SliceStable(w.errs, func(i, j int) bool { return w.errs[i].path.String() < w.errs[j].path.String() })
	return w.errs
}

func (w *schemaWalker) walk(s *typeSchema, v any) {
	if v == nil {
		return // null is the zero value of every field
	}
	switch s.kind {
	case kAny:
	case kString:
		w.expect(isString(v), "string", v)
	case kBool:
		_, ok := v.(bool)
		w.expect(ok, "boolean", v)
	case kInt:
		w.expect(isInt(v), "integer", v)
	case kFloat:
		w.expect(isNumber(v), "number", v)
	case kBytes:
		w.walkBytes(v)
	case kIntOrString:
		w.expect(isString(v) || isInt(v), "integer or string", v)
	case kQuantity, kTime, kDuration:
		w.walkParsed(s.kind, v)
	case kStruct:
		w.walkStruct(s, v)
	case kSlice:
		w.walkSlice(s.elem, v)
	case kMap:
		w.walkMap(s.elem, v)
	case kUnion:
		w.walkUnion(s, v)
	}
}

func (w *schemaWalker) expect(ok bool, want string, v any) {
	if !ok {
		w.fail("expected %s, got %s", want, jsonType(v))
	}
}

func (w *schemaWalker) walkStruct(s *typeSchema, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		w.fail("expected object, got %s", jsonType(v))
		return
	}
	for k, val := range m {
		f := s.fields[k]
		w.path = append(w.path, pathElem{key: k, index: -1})
		if f == nil {
			w.fail("unknown field")
		} else {
			prev := w.inStatus
			if len(w.path) == 1 && k == "status" {
				w.inStatus = true
			}
			w.walk(f, val)
			w.inStatus = prev
		}
		w.path = w.path[:len(w.path)-1]
	}
	if w.inStatus {
		return
	}
	for _, r := range s.required {
		if _, ok := m[r]; !ok {
			w.path = append(w.path, pathElem{key: r, index: -1})
			w.fail("missing required field")
			w.path = w.path[:len(w.path)-1]
		}
	}
}

func (w *schemaWalker) walkSlice(elem *typeSchema, v any) {
	l, ok := v.([]any)
	if !ok {
		w.fail("expected list, got %s", jsonType(v))
		return
	}
	for i, item := range l {
		w.path = append(w.path, pathElem{index: i})
		w.walk(elem, item)
		w.path = w.path[:len(w.path)-1]
	}
}

func (w *schemaWalker) walkMap(elem *typeSchema, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		w.fail("expected object, got %s", jsonType(v))
		return
	}
	for k, item := range m {
		w.path = append(w.path, pathElem{key: k, index: -1})
		w.walk(elem, item)
		w.path = w.path[:len(w.path)-1]
	}
}

func (w *schemaWalker) walkUnion(s *typeSchema, v any) {
	switch v.(type) {
	case map[string]any:
		w.walk(s.unionObj, v)
	case []any:
		if s.elem == nil {
			w.fail("expected object or boolean, got list")
			return
		}
		w.walkSlice(s.elem, v)
	case bool:
		if !s.unionBool {
			w.fail("expected object or list, got boolean")
		}
	default:
		w.fail("expected object, got %s", jsonType(v))
	}
}

// walkBytes checks a []byte field: a base64 string. Values are never
// quoted (Secret data).
func (w *schemaWalker) walkBytes(v any) {
	s, ok := v.(string)
	if !ok {
		w.fail("expected base64-encoded string, got %s", jsonType(v))
		return
	}
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		w.fail("invalid base64 data (%v)", err)
	}
}

// walkParsed checks quantities, timestamps and durations.
func (w *schemaWalker) walkParsed(k valueKind, v any) {
	s, ok := v.(string)
	if k == kQuantity && !ok {
		w.expect(isNumber(v), "quantity such as \"100m\" or \"1Gi\"", v)
		return
	}
	if !ok {
		w.fail("expected string, got %s", jsonType(v))
		return
	}
	var err error
	switch k {
	case kQuantity:
		_, err = resource.ParseQuantity(s)
	case kTime:
		_, err = time.Parse(time.RFC3339Nano, s)
	case kDuration:
		_, err = time.ParseDuration(s)
	}
	if err != nil {
		w.fail("invalid value %q: %v", s, err)
	}
}

func isString(v any) bool { _, ok := v.(string); return ok }

func isInt(v any) bool {
	switch n := v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float64:
		return n == math.Trunc(n) && !math.IsInf(n, 0)
	case float32:
		return float64(n) == math.Trunc(float64(n))
	case json.Number:
		_, err := n.Int64()
		return err == nil
	}
	return false
}

func isNumber(v any) bool {
	switch v.(type) {
	case float64, float32, json.Number:
		return true
	}
	return isInt(v)
}

// jsonType names the JSON type of a decoded value, never its content.
func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "list"
	}
	if isInt(v) {
		return "integer"
	}
	if isNumber(v) {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}
