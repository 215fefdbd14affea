package validate

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

// lineFinder maps a field path of an object to the line it was written on:
// manifest.Lines finds the object's node tree, lineOf walks the path in it.
type lineFinder struct {
	lines *manifest.Lines
}

func newLineFinder(rel *config.Release) *lineFinder {
	f := &lineFinder{lines: &manifest.Lines{}}
	if rel != nil {
		f.lines.Dir = rel.Dir
	}
	return f
}

// locate returns the location of path within the document at src; src
// itself when the file or the field cannot be found.
func (f *lineFinder) locate(src manifest.Location, path fieldPath) manifest.Location {
	if len(path) == 0 || src.File == "" {
		return src
	}
	node, offset := f.lines.Node(src)
	if node == nil {
		return src
	}
	if line := lineOf(node, path); line > 0 {
		return manifest.Location{File: src.File, Line: line + offset}
	}
	return src
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
