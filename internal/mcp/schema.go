package mcp

import (
	"encoding"
	"encoding/json"
	"reflect"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/kship/kship/internal/record"
)

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// knownSchemas are the schemas of the types in results that write
// themselves (MarshalJSON), as they write themselves.
var knownSchemas = map[reflect.Type]*jsonschema.Schema{
	reflect.TypeFor[record.Holder](): {Type: "object", Properties: map[string]*jsonschema.Schema{
		"identity":        {Type: "string"},
		"since":           {Type: "string"},
		"renewedAt":       {Type: "string"},
		"expiresAt":       {Type: "string"},
		"durationSeconds": {Type: "number"},
		"previous":        {Type: "string"},
	}, Required: []string{"identity", "since", "renewedAt", "expiresAt", "durationSeconds"}},
}

// outputSchema is the output schema of a tool whose result is a T: the
// schema inferred from T's fields, except that every type reachable from
// T that writes itself as JSON (MarshalJSON or MarshalText) gets its
// schema from knownSchemas, or, when it has none there, the schema that
// accepts anything: inferred from its fields, it would describe what it
// does not write, and the SDK would reject the result.
func outputSchema[T any]() *jsonschema.Schema {
	types := map[reflect.Type]*jsonschema.Schema{}
	for _, t := range selfMarshalers(reflect.TypeFor[T]()) {
		if s, ok := knownSchemas[t]; ok {
			types[t] = s
		} else {
			types[t] = &jsonschema.Schema{}
		}
	}
	s, err := jsonschema.For[T](&jsonschema.ForOptions{TypeSchemas: types})
	if err != nil {
		panic("mcp: output schema of " + reflect.TypeFor[T]().String() + ": " + err.Error())
	}
	return s
}

// selfMarshalers lists the types reachable from t (through fields,
// elements, pointers) that marshal themselves, time.Time excepted (the
// inference knows it writes a string).
func selfMarshalers(t reflect.Type) []reflect.Type {
	var out []reflect.Type
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		if t != reflect.TypeFor[time.Time]() && t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface &&
			(t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) ||
				t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)) {
			out = append(out, t)
			return
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			for i := 0; i < t.NumField(); i++ {
				if f := t.Field(i); f.IsExported() || f.Anonymous {
					walk(f.Type)
				}
			}
		}
	}
	walk(t)
	return out
}
