package validate

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

// lineFinder maps a field path of an object to the line it was written on,
// by re-reading the object's file as YAML nodes. Files are read lazily (only
// for objects with problems) and once.
type lineFinder struct {
	dir   string
	files map[string][]*yaml.Node // document nodes per file; nil: unreadable
}

func newLineFinder(rel *config.Release) *lineFinder {
	f := &lineFinder{files: map[string][]*yaml.Node{}}
	if rel != nil {
		f.dir = rel.Dir
	}
	return f
}

// locate returns the location of path within the document at src; src
// itself when the file or the field cannot be found.
func (f *lineFinder) locate(src manifest.Location, path fieldPath) manifest.Location {
	if len(path) == 0 || src.File == "" {
		return src
	}
	doc := f.document(src)
	if doc == nil {
		return src
	}
	if line := lineOf(doc, path); line > 0 {
		return manifest.Location{File: src.File, Line: line}
	}
	return src
}

// document returns the node of the object written at src: the document
// starting on src.Line, or the item of a List document starting there.
func (f *lineFinder) document(src manifest.Location) *yaml.Node {
	docs, ok := f.files[src.File]
	if !ok {
		docs = f.read(src.File)
		f.files[src.File] = docs
	}
	if src.Line <= 0 {
		if len(docs) == 1 {
			return docs[0]
		}
		return nil
	}
	var doc *yaml.Node
	for _, d := range docs {
		if d.Line > src.Line {
			break
		}
		doc = d
	}
	if doc == nil || doc.Line == src.Line {
		return doc
	}
	if _, items := mapEntry(doc, pathElem{key: "items", index: -1}); items != nil && items.Kind == yaml.SequenceNode {
		for _, it := range items.Content {
			if it.Line == src.Line && it.Kind == yaml.MappingNode {
				return it
			}
		}
	}
	return doc
}

// read parses every document of a file; nil when it is not readable (as
// for rendered Helm or kustomize output).
func (f *lineFinder) read(file string) []*yaml.Node {
	data, err := os.ReadFile(file)
	if err != nil && f.dir != "" && !filepath.IsAbs(file) {
		data, err = os.ReadFile(filepath.Join(f.dir, file))
	}
	if err != nil {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			return docs // io.EOF, or a syntax error the loader reported
		}
		if len(n.Content) == 1 && n.Content[0].Kind == yaml.MappingNode {
			docs = append(docs, n.Content[0])
		}
	}
}

// lineOf walks path down the node tree and returns the line of the deepest
// node reached: the key of the last field found, or of its parent.
func lineOf(n *yaml.Node, path fieldPath) int {
	line := n.Line
	for _, e := range path {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch n.Kind {
		case yaml.MappingNode:
			key, val := mapEntry(n, e)
			if key == nil {
				return line
			}
			line, n = key.Line, val
		case yaml.SequenceNode:
			i := e.index
			if i < 0 {
				i = atoi(e.key)
			}
			if i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		default:
			return line
		}
	}
	return line
}

func mapEntry(n *yaml.Node, e pathElem) (key, val *yaml.Node) {
	want := e.key
	if e.index >= 0 {
		want = strconv.Itoa(e.index)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == want {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// parsePath reads a dotted field path with [i] indexes, as written by the
// API machinery ("spec.ports[0].port").
func parsePath(s string) fieldPath {
	var p fieldPath
	for _, part := range strings.Split(strings.TrimPrefix(s, "."), ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			p = append(p, pathElem{key: name, index: -1})
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			if i := atoi(idx); i >= 0 {
				p = append(p, pathElem{index: i})
			} else if idx != "" {
				p = append(p, pathElem{key: strings.Trim(idx, `"`), index: -1})
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return p
}
