package config

import (
	"bytes"
	"io"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// DecodeStrict decodes a one-document YAML file of another kind than the
// release file (the MCP server's policy) into v, a pointer to a struct,
// as strictly as Load reads a release file: every unknown field, wrong
// type or duplicate key is reported with its line and what to write
// instead (a did-you-mean, or where the field belongs), all at once, as
// an *Error or an ErrorList. It returns the line of every field path it
// saw ("spec.allow[0].namespace"), for the caller's own checks.
func DecodeStrict(name string, data []byte, v any) (map[string]int, error) {
	root, err := oneDocument(name, data)
	if err != nil {
		return nil, err
	}
	c := &collector{file: name}
	rv := reflect.ValueOf(v).Elem()
	homes := map[string][]string{}
	collectHomes(rv.Type(), "the top level", homes, 0)
	d := &decoder{c: c, lines: map[string]int{}, homes: homes}
	d.decode(root, rv, "")
	return d.lines, c.err()
}

// ErrorAt is an *Error of file name at line, for a caller's check of a
// file DecodeStrict read.
func ErrorAt(name string, line int, msg string) *Error {
	return &Error{File: name, Line: line, Msg: msg}
}

// oneDocument parses the single YAML mapping of a file.
func oneDocument(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &Error{File: name, Msg: "the file is empty"}
		}
		return nil, syntaxError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil && len(extra.Content) > 0 && !isNull(extra.Content[0]) {
		return nil, &Error{File: name, Line: extra.Content[0].Line, Msg: "the file holds one document; remove this one"}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, &Error{File: name, Msg: "the file is empty"}
	}
	if root := doc.Content[0]; root.Kind == yaml.MappingNode {
		return root, nil
	}
	return nil, &Error{File: name, Line: doc.Content[0].Line, Msg: "the file must be a mapping (apiVersion, kind, spec)"}
}
