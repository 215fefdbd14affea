package evidence

import (
	"reflect"

	"github.com/kship/kship/internal/event"
)

// Event returns e with every known Secret value masked in its message,
// object and payload. The payload keeps its type: it is copied with each
// string masked, so a consumer that reads a gate.Measurement still reads
// one (the original is not changed).
func (r *Redactor) Event(e event.Event) event.Event {
	e.Message, e.Object = r.String(e.Message), r.String(e.Object)
	if e.Data != nil {
		if p, ok := r.masked(reflect.ValueOf(e.Data)).Interface().(event.Payload); ok {
			e.Data = p
		}
	}
	return e
}

// Outcome returns o with every string masked (summary, trigger, checked
// items, manual steps): the final result printed and stored goes through
// the same path as every event.
func (r *Redactor) Outcome(o event.Outcome) event.Outcome { return Redacted(r, o) }

// Redacted returns a copy of v (a struct, slice, map or pointer to one)
// with every string in its exported fields masked: a report read back
// from the cluster (status, history) is masked before it is printed.
func Redacted[T any](r *Redactor, v T) T {
	out, ok := r.masked(reflect.ValueOf(&v).Elem()).Interface().(T)
	if !ok {
		return v
	}
	return out
}

// masked returns a copy of v in which every string (exported struct
// fields, slices, arrays, map keys and values, pointers, interfaces) is
// masked. Unexported struct fields are copied as they are: payloads keep
// what they observed in exported fields.
func (r *Redactor) masked(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		return reflect.ValueOf(r.String(v.String())).Convert(v.Type())
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(r.masked(v.Elem()))
		return out
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(r.masked(v.Elem()))
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out.Field(i).Set(r.masked(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		if v.Type().Elem().Kind() == reflect.Uint8 { // JSON read back (event.Raw), bytes
			return reflect.ValueOf(r.Bytes(v.Bytes())).Convert(v.Type())
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(r.masked(v.Index(i)))
		}
		return out
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			out.Index(i).Set(r.masked(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(r.masked(it.Key()), r.masked(it.Value()))
		}
		return out
	}
	return v
}
