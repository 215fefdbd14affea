package validate

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

// lineFinder maps a field path of an object to the line it was written on,
// by re-reading the object's file. Files are read lazily (only for objects
// with problems) and once; of a multi-document file only the documents
// holding problems are parsed into YAML nodes.
type lineFinder struct {
	dir   string
	files map[string][]*chunk // documents per file; nil: unreadable
	// parsed are the chunks holding a node tree, oldest first; beyond
	// maxParsed the oldest tree is dropped (parsed again if asked again),
	// so memory does not grow with the bundle.
	parsed []*chunk
}

// maxParsed bounds the documents kept parsed at once: the checks visit an
// object's findings together, so a few suffice.
const maxParsed = 256

// chunk is one document of a file: its text, the file line it starts on
// and, once parsed, its root mapping node (lines relative to the chunk).
type chunk struct {
	text   []byte
	first  int // file line of the chunk's first line
	last   int // file line of its last line
	parsed bool
	root   *yaml.Node
}

func newLineFinder(rel *config.Release) *lineFinder {
	f := &lineFinder{files: map[string][]*chunk{}}
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
	c := f.chunkAt(src)
	if c == nil {
		return src
	}
	if !c.parsed {
		f.keepParsed(c)
	}
	node := c.node(src.Line - c.first + 1)
	if node == nil {
		return src
	}
	if line := lineOf(node, path); line > 0 {
		return manifest.Location{File: src.File, Line: line + c.first - 1}
	}
	return src
}

// keepParsed records that c is about to hold a node tree, dropping the
// oldest tree beyond maxParsed.
func (f *lineFinder) keepParsed(c *chunk) {
	if len(f.parsed) == maxParsed {
		old := f.parsed[0]
		old.parsed, old.root = false, nil
		f.parsed = append(f.parsed[:0], f.parsed[1:]...)
	}
	f.parsed = append(f.parsed, c)
}

// chunkAt returns the document of the file holding src.Line (the only
// document when the line is unknown).
func (f *lineFinder) chunkAt(src manifest.Location) *chunk {
	chunks, ok := f.files[src.File]
	if !ok {
		chunks = f.read(src.File)
		f.files[src.File] = chunks
	}
	if src.Line <= 0 {
		if len(chunks) == 1 {
			return chunks[0]
		}
		return nil
	}
	// Chunks are in file order: the first one ending at or after the line.
	i := sort.Search(len(chunks), func(i int) bool { return chunks[i].last >= src.Line })
	if i < len(chunks) && src.Line >= chunks[i].first {
		return chunks[i]
	}
	return nil
}

// read splits a file into documents at "---" lines; nil when it is not
// readable (as for rendered Helm or kustomize output).
func (f *lineFinder) read(file string) []*chunk {
	data, err := os.ReadFile(file)
	if err != nil && f.dir != "" && !filepath.IsAbs(file) {
		data, err = os.ReadFile(filepath.Join(f.dir, file))
	}
	if err != nil {
		return nil
	}
	var chunks []*chunk
	cur := &chunk{first: 1}
	line, start := 1, 0
	for i := 0; i <= len(data); i++ {
		if i < len(data) && data[i] != '\n' {
			continue
		}
		next := i + 1
		if next < len(data) && isDocMarker(data[next:]) {
			cur.text, cur.last = data[start:next], line
			chunks = append(chunks, cur)
			cur, start = &chunk{first: line + 1}, next
		}
		line++
	}
	cur.text, cur.last = data[start:], line
	return append(chunks, cur)
}

// node returns the object's node starting on chunk line l: the document,
// or the item of a List document starting there.
func (c *chunk) node(l int) *yaml.Node {
	if !c.parsed {
		c.parsed = true
		var n yaml.Node
		if yaml.Unmarshal(c.text, &n) == nil && len(n.Content) == 1 && n.Content[0].Kind == yaml.MappingNode {
			c.root = n.Content[0]
		}
	}
	doc := c.root
	if doc == nil || doc.Line == l {
		return doc
	}
	if _, items := mapEntry(doc, pathElem{key: "items", index: -1}); items != nil && items.Kind == yaml.SequenceNode {
		for _, it := range items.Content {
			if it.Line == l && it.Kind == yaml.MappingNode {
				return it
			}
		}
	}
	return doc
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

// isDocMarker reports whether b starts with a "---" document marker line.
func isDocMarker(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("---")) {
		return false
	}
	return len(b) == 3 || b[3] == ' ' || b[3] == '\n' || b[3] == '\r' || b[3] == '\t'
}
