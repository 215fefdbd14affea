package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder fills a Go value from a YAML node tree, strictly: every key must
// be a field of the Go struct (by its json tag) and every value must have the
// field's type. It records each mistake with its line instead of stopping,
// and the line of every path it sees so later checks can point at lines.
type decoder struct {
	c     *collector
	lines map[string]int
	// homes maps each field name to the mappings that hold it, for the
	// "it belongs under" hint; nil means the release file's (fieldHomes).
	homes map[string][]string
}

var durationType = reflect.TypeOf(Duration{})

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if _, seen := d.lines[path]; !seen {
		d.lines[path] = n.Line
	}
	if isNull(n) {
		return // an empty value leaves the zero value (and its default)
	}
	switch v.Type() {
	case durationType:
		d.duration(n, v, path)
		return
	case byteSizeType:
		d.byteSize(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Slice:
		d.list(n, v, path)
	case reflect.Map:
		d.stringMap(n, v, path)
	default:
		d.scalar(n, v, path)
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		if _, typed := jsonFields(v.Type())["type"]; typed && n.Kind == yaml.ScalarNode {
			d.c.add(n.Line, n.Column, "%s must be a mapping, not %s; write %s: {type: %s}", path, describe(n), path[strings.LastIndex(path, ".")+1:], n.Value)
			return
		}
		d.wrongType(n, v.Type(), path)
		return
	}
	fields := jsonFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		idx, ok := fields[k.Value]
		if !ok {
			d.unknownField(k, v.Type(), path)
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.c.add(k.Line, k.Column, "%s is set twice (first on line %d); keep one", join(path, k.Value), line)
			continue
		}
		seen[k.Value] = k.Line
		d.lines[join(path, k.Value)] = k.Line
		d.decode(val, v.Field(idx), join(path, k.Value))
	}
}

func (d *decoder) unknownField(k *yaml.Node, t reflect.Type, path string) {
	where := "at the top level"
	if path != "" {
		where = "in " + path
	}
	names := fieldNames(t)
	if s := closest(k.Value, names); s != "" {
		d.c.add(k.Line, k.Column, "unknown field %q %s; did you mean %q?", k.Value, where, s)
		return
	}
	all := d.homes
	if all == nil {
		all = fieldHomes()
	}
	if homes := all[k.Value]; len(homes) > 0 {
		d.c.add(k.Line, k.Column, "unknown field %q %s; it belongs under %s", k.Value, where, strings.Join(homes, " or "))
		return
	}
	if s := prefixMatch(k.Value, names); s != "" {
		d.c.add(k.Line, k.Column, "unknown field %q %s; did you mean %q?", k.Value, where, s)
		return
	}
	d.c.add(k.Line, k.Column, "unknown field %q %s; known fields are %s", k.Value, where, strings.Join(names, ", "))
}

// fieldHomes maps every field name of the release file to the paths of
// the mappings that hold it, to point a misplaced field to its place.
var fieldHomes = sync.OnceValue(func() map[string][]string {
	h := map[string][]string{}
	collectHomes(reflect.TypeOf(Release{}), "the top level", h, 0)
	return h
})

func collectHomes(t reflect.Type, path string, h map[string][]string, depth int) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == durationType || t == byteSizeType || depth > 8 {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		name := jsonName(t.Field(i))
		if name == "" {
			continue
		}
		h[name] = append(h[name], path)
		sub := name
		if path != "the top level" {
			sub = path + "." + name
		}
		collectHomes(t.Field(i).Type, sub, h, depth+1)
	}
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, v.Type(), path)
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

// stringMap fills a map[string]string; any scalar value is taken as its
// text, so `set: {replicaCount: 3}` works as Helm's --set would.
func (d *decoder) stringMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, v.Type(), path)
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		for val.Kind == yaml.AliasNode && val.Alias != nil {
			val = val.Alias
		}
		p := join(path, k.Value)
		d.lines[p] = k.Line
		if val.Kind != yaml.ScalarNode {
			d.c.add(val.Line, val.Column, "%s must be a single value, not %s", p, describe(val))
			continue
		}
		if v.Type().Elem().Kind() == reflect.String {
			m.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(val.Value))
			continue
		}
		e := reflect.New(v.Type().Elem()).Elem()
		d.scalar(val, e, p) // a number (a canary's maxAboveStable)
		m.SetMapIndex(reflect.ValueOf(k.Value), e)
	}
	v.Set(m)
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, v.Type(), path)
		return
	}
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		if tag != "!!str" {
			d.c.add(n.Line, n.Column, "%s must be a string, not %s; quote it: %q", path, describe(n), n.Value)
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, v.Type().Bits())
		if tag != "!!int" || err != nil {
			d.wrongType(n, v.Type(), path)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if (tag != "!!int" && tag != "!!float") || err != nil {
			d.wrongType(n, v.Type(), path)
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		if tag != "!!bool" {
			d.wrongType(n, v.Type(), path)
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	default:
		d.c.add(n.Line, n.Column, "%s: kship cannot read a %s here", path, v.Kind())
	}
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, v.Type(), path)
		return
	}
	if n.ShortTag() == "!!int" && n.Value == "0" {
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if n.ShortTag() == "!!int" {
		d.c.add(n.Line, n.Column, "%s must be a duration with a unit, not the number %s; write %ss or %sm", path, n.Value, n.Value, n.Value)
		return
	}
	if n.ShortTag() != "!!str" || err != nil {
		d.c.add(n.Line, n.Column, "%s must be a duration such as \"30s\", \"5m\" or \"1h30m\", not %q", path, n.Value)
		return
	}
	if dur < 0 {
		d.c.add(n.Line, n.Column, "%s must not be negative (got %s)", path, n.Value)
		return
	}
	v.Set(reflect.ValueOf(Duration{dur}))
}

func (d *decoder) wrongType(n *yaml.Node, t reflect.Type, path string) {
	name := path
	if name == "" {
		name = "the release file"
	}
	hint := ""
	if _, err := strconv.ParseFloat(n.Value, 64); err == nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		hint = "; write the number without quotes"
	}
	what := describe(n)
	if sensitive(path) && n.Kind == yaml.ScalarNode {
		what, hint = "a single value", ""
	}
	d.c.add(n.Line, n.Column, "%s must be %s, not %s%s", name, typeName(t), what, hint)
}

// sensitive reports whether values under path may be secrets (request
// headers, Helm set values), which error messages must not repeat.
func sensitive(path string) bool {
	return strings.Contains(path, ".headers") || strings.Contains(path, "helm.set")
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is, in the words of an error message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return n.Value
	case "!!null":
		return "empty"
	}
	return strconv.Quote(n.Value)
}

// typeName is what a user must write for a Go type.
func typeName(t reflect.Type) string {
	switch t {
	case durationType:
		return `a duration such as "30s"`
	case byteSizeType:
		return `a size such as "16Mi"`
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Struct:
		return "a mapping with fields " + strings.Join(fieldNames(t), ", ")
	case reflect.Slice:
		return "a list (each item " + typeName(t.Elem()) + ")"
	case reflect.Map:
		return "a mapping of names to values"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return t.String()
}

// jsonFields maps the json names of a struct's fields to their index;
// fields tagged "-" are not part of the file.
func jsonFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if name := jsonName(t.Field(i)); name != "" {
			m[name] = i
		}
	}
	return m
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if name := jsonName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	return names
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
