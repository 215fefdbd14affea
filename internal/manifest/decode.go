package manifest

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/config"
)

// Decode reads every object of a YAML or JSON file: multi-document files,
// List kinds flattened into their items, empty documents skipped. Each
// object remembers file and the line its document (or List item) starts on.
// Each document is parsed once into a node tree and converted straight into
// the unstructured form, with scalars typed as kubectl reads them (YAML 1.1
// booleans such as yes/no included, integers as int64). A malformed
// document, or an object without apiVersion, kind or metadata.name, is an
// *Error naming file and line; all are collected.
func Decode(file string, data []byte) ([]Object, error) {
	var out []Object
	var bad errs
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if !errors.Is(err, io.EOF) {
				bad = append(bad, syntaxError(file, err))
			}
			break
		}
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue
		}
		objs, err := decodeDocument(file, doc.Content[0])
		bad = append(bad, err...)
		out = append(out, objs...)
	}
	return out, bad.err()
}

func syntaxError(file string, err error) *Error {
	line, msg := config.YAMLSyntaxError(err)
	return &Error{Source: Location{File: file, Line: line}, Msg: "invalid YAML: " + msg}
}

// decodeDocument converts one document, flattening a List into its items.
func decodeDocument(file string, n *yaml.Node) ([]Object, errs) {
	src := Location{File: file, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return nil, errs{{Source: src, Msg: "a manifest must be a mapping with apiVersion, kind and metadata, not " + nodeKind(n)}}
	}
	c := converter{file: file, budget: budgetFor(n)}
	v := c.value(n)
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	m := v.(map[string]any)
	if items, ok := m["items"].([]any); ok && isList(m) {
		return listItems(file, n, items)
	}
	o := Object{Obj: &unstructured.Unstructured{Object: m}, Source: src}
	if e := checkIdentity(o); e != nil {
		return nil, errs{e}
	}
	return []Object{o}, nil
}

// isList reports whether a document is a List (v1 List or any *List kind).
func isList(m map[string]any) bool {
	kind, _ := m["kind"].(string)
	return strings.HasSuffix(kind, "List")
}

func listItems(file string, n *yaml.Node, items []any) ([]Object, errs) {
	var itemNodes []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "items" {
			itemNodes = n.Content[i+1].Content
		}
	}
	var out []Object
	var bad errs
	for i, it := range items {
		src := Location{File: file, Line: n.Line}
		if i < len(itemNodes) {
			src.Line = itemNodes[i].Line
		}
		m, ok := it.(map[string]any)
		if !ok {
			bad.add(src, "a List item must be an object, not %T", it)
			continue
		}
		o := Object{Obj: &unstructured.Unstructured{Object: m}, Source: src}
		if e := checkIdentity(o); e != nil {
			bad = append(bad, e)
			continue
		}
		out = append(out, o)
	}
	return out, bad
}

// checkIdentity requires what kship needs to address an object.
func checkIdentity(o Object) *Error {
	u := o.Obj
	var missing []string
	if u.GetAPIVersion() == "" {
		missing = append(missing, "apiVersion")
	}
	if u.GetKind() == "" {
		missing = append(missing, "kind")
	}
	if u.GetName() == "" {
		missing = append(missing, "metadata.name")
	}
	if len(missing) == 0 {
		return nil
	}
	what := strings.Join(missing, ", ")
	if u.GetKind() != "" {
		what += " (in a " + u.GetKind() + ")"
	}
	msg := "missing " + what
	if u.GetName() == "" && u.GetGenerateName() != "" {
		msg += "; generateName is not supported: kship applies objects by name"
	}
	return &Error{Source: o.Source, Msg: msg}
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "this"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
