package validate

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// valueKind is the JSON shape a field accepts.
type valueKind uint8

const (
	kAny valueKind = iota
	kString
	kBool
	kInt
	kFloat
	kBytes // base64 string
	kStruct
	kSlice
	kMap
	kIntOrString
	kQuantity
	kTime
	kDuration
	kUnion // object (unionObj) or list (elem) or bool (unionBool)
)

// typeSchema is the JSON schema of a Go API type, derived once by
// reflection from the typed structs of k8s.io/api (the structs the API
// server decodes into, so their JSON tags are the ground truth of field
// names and types). A field without omitempty is required, as in the API's
// OpenAPI documents, except those documented +optional.
type typeSchema struct {
	kind     valueKind
	name     string                 // Go type name for messages
	fields   map[string]*typeSchema // struct fields, inline members flattened
	required []string               // struct fields that must be present
	elem     *typeSchema            // slice, map and union-list element
	// unionObj and unionBool are the other shapes of a kUnion.
	unionObj  *typeSchema
	unionBool bool
}

var (
	unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	specialKinds    = map[reflect.Type]valueKind{
		reflect.TypeOf(resource.Quantity{}):        kQuantity,
		reflect.TypeOf(intstr.IntOrString{}):       kIntOrString,
		reflect.TypeOf(metav1.Time{}):              kTime,
		reflect.TypeOf(metav1.MicroTime{}):         kTime,
		reflect.TypeOf(metav1.Duration{}):          kDuration,
		reflect.TypeOf(runtime.RawExtension{}):     kAny,
		reflect.TypeOf(metav1.FieldsV1{}):          kAny,
		reflect.TypeOf(apiextv1.JSON{}):            kAny,
		reflect.TypeOf(apiextv1.JSONSchemaURL("")): kString,
	}
)

// schemaCache builds and keeps one typeSchema per Go type; safe for
// concurrent use. A schema is complete (immutable) once returned.
type schemaCache struct {
	mu    sync.Mutex
	types map[reflect.Type]*typeSchema
}

var builtinSchemas = &schemaCache{types: map[reflect.Type]*typeSchema{}}

// of returns the schema of t, building it (and all it reaches) on first use.
func (c *schemaCache) of(t reflect.Type) *typeSchema {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.build(t)
}

func (c *schemaCache) build(t reflect.Type) *typeSchema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := c.types[t]; ok {
		return s
	}
	s := &typeSchema{name: t.Name()}
	c.types[t] = s // before recursing: API types are recursive (JSONSchemaProps)
	if k, ok := specialKinds[t]; ok {
		s.kind = k
		return s
	}
	if c.buildUnion(t, s) {
		return s
	}
	switch t.Kind() {
	case reflect.String:
		s.kind = kString
	case reflect.Bool:
		s.kind = kBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s.kind = kInt
	case reflect.Float32, reflect.Float64:
		s.kind = kFloat
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			s.kind = kBytes
		} else {
			s.kind, s.elem = kSlice, c.build(t.Elem())
		}
	case reflect.Map:
		s.kind, s.elem = kMap, c.build(t.Elem())
	case reflect.Struct:
		if reflect.PointerTo(t).Implements(unmarshalerType) {
			s.kind = kAny // a custom JSON shape kship does not model
			return s
		}
		s.kind, s.fields = kStruct, map[string]*typeSchema{}
		c.addFields(t, s)
	default:
		s.kind = kAny
	}
	return s
}

// buildUnion models the apiextensions "X or Y" types of CRD schemas.
func (c *schemaCache) buildUnion(t reflect.Type, s *typeSchema) bool {
	props := reflect.TypeOf(apiextv1.JSONSchemaProps{})
	switch t {
	case reflect.TypeOf(apiextv1.JSONSchemaPropsOrArray{}):
		s.kind, s.unionObj, s.elem = kUnion, c.build(props), c.build(props)
	case reflect.TypeOf(apiextv1.JSONSchemaPropsOrBool{}):
		s.kind, s.unionObj, s.unionBool = kUnion, c.build(props), true
	case reflect.TypeOf(apiextv1.JSONSchemaPropsOrStringArray{}):
		s.kind, s.unionObj, s.elem = kUnion, c.build(props), c.build(reflect.TypeOf(""))
	default:
		return false
	}
	return true
}

// addFields adds the JSON fields of struct t to s, flattening inline and
// embedded members.
func (c *schemaCache) addFields(t reflect.Type, s *typeSchema) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if strings.Contains(opts, "inline") || (f.Anonymous && name == "") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				c.addFields(ft, s)
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		s.fields[name] = c.build(f.Type)
		if !strings.Contains(opts, "omit") && !optionalWithoutOmitempty[t.PkgPath()+"."+t.Name()+"."+name] {
			s.required = append(s.required, name)
		}
	}
}
