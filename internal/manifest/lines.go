package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Lines is kship's one line finder: it says where things were written in
// manifest files, for messages that name file and line. Object finds the
// line an object's document starts on (for rendered objects, such as
// kustomize's, matched back to their source file by kind and name); Node
// gives the node tree of the object written at a location, which a caller
// walks to the line of a field (validate does). Each file is read once,
// when first asked about; of a multi-document file only the documents
// asked about are parsed into node trees, at most maxParsed at a time, so
// memory does not grow with the bundle.
type Lines struct {
	// Dir is where a relative file name is looked for when it is not found
	// as it is ("": only as it is).
	Dir string
	// Read reads a file (os.ReadFile when nil).
	Read func(path string) ([]byte, error)

	files map[string]*lineFile
	// parsed are the chunks holding a node tree, oldest first; beyond
	// maxParsed the oldest tree is dropped (parsed again if asked again).
	parsed []*chunk
}

// maxParsed bounds the documents kept parsed at once: the checks visit an
// object's findings together, so a few suffice.
const maxParsed = 256

// lineFile is what Lines knows of one file.
type lineFile struct {
	data     []byte
	readable bool
	chunks   []*chunk // its documents, split at "---" lines
	objs     []Object // decoded, for Object; nil until asked
	decoded  bool
}

// chunk is one document of a file: its text, the file lines it spans and,
// once parsed, its root mapping node (lines relative to the chunk).
type chunk struct {
	text   []byte
	first  int // file line of the chunk's first line
	last   int // file line of its last line
	parsed bool
	root   *yaml.Node
}

// Object returns the line o's document starts on in file: the document of
// o's kind whose name is o's, or else the only one whose name o's contains
// (kustomize may have added a prefix or suffix); 0 when there is none or
// more than one.
func (l *Lines) Object(file string, o Object) int {
	f := l.file(file)
	if !f.decoded {
		f.decoded = true
		if f.readable {
			f.objs, _ = Decode(file, f.data)
		}
	}
	line, matches := 0, 0
	for _, d := range f.objs {
		if d.Obj.GetKind() == o.Obj.GetKind() && strings.Contains(o.Obj.GetName(), d.Obj.GetName()) {
			if d.Obj.GetName() == o.Obj.GetName() {
				return d.Source.Line
			}
			line, matches = d.Source.Line, matches+1
		}
	}
	if matches == 1 {
		return line
	}
	return 0
}

// Node returns the node tree of the object written at src (its document,
// or the item of a List document starting on src.Line; the only document
// of the file when the line is unknown) and the offset that turns the
// node's lines into file lines; nil when the file cannot be read or holds
// no mapping there.
func (l *Lines) Node(src Location) (*yaml.Node, int) {
	if src.File == "" {
		return nil, 0
	}
	c := l.chunkAt(src)
	if c == nil {
		return nil, 0
	}
	if !c.parsed {
		l.keepParsed(c)
	}
	n := c.node(src.Line - c.first + 1)
	if n == nil {
		return nil, 0
	}
	return n, c.first - 1
}

// keepParsed records that c is about to hold a node tree, dropping the
// oldest tree beyond maxParsed.
func (l *Lines) keepParsed(c *chunk) {
	if len(l.parsed) == maxParsed {
		old := l.parsed[0]
		old.parsed, old.root = false, nil
		l.parsed = append(l.parsed[:0], l.parsed[1:]...)
	}
	l.parsed = append(l.parsed, c)
}

// chunkAt returns the document of the file holding src.Line (the only
// document when the line is unknown).
func (l *Lines) chunkAt(src Location) *chunk {
	chunks := l.file(src.File).chunks
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

// file reads name once (not readable, as for rendered Helm output: no
// documents) and splits it into documents.
func (l *Lines) file(name string) *lineFile {
	if f, ok := l.files[name]; ok {
		return f
	}
	if l.files == nil {
		l.files = map[string]*lineFile{}
	}
	read := l.Read
	if read == nil {
		read = os.ReadFile
	}
	data, err := read(name)
	if err != nil && l.Dir != "" && !filepath.IsAbs(name) {
		data, err = read(filepath.Join(l.Dir, name))
	}
	f := &lineFile{}
	if err == nil {
		f.data, f.readable, f.chunks = data, true, splitDocuments(data)
	}
	l.files[name] = f
	return f
}

// splitDocuments splits a file into documents at "---" lines.
func splitDocuments(data []byte) []*chunk {
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

// node returns the object's node starting on chunk line n: the document,
// or the item of a List document starting there.
func (c *chunk) node(n int) *yaml.Node {
	if !c.parsed {
		c.parsed = true
		var doc yaml.Node
		if yaml.Unmarshal(c.text, &doc) == nil && len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
			c.root = doc.Content[0]
		}
	}
	doc := c.root
	if doc == nil || doc.Line == n {
		return doc
	}
	if items := firstValue(doc, "items"); items != nil && items.Kind == yaml.SequenceNode {
		for _, it := range items.Content {
			if it.Line == n && it.Kind == yaml.MappingNode {
				return it
			}
		}
	}
	return doc
}

// firstValue is the value of a mapping's first key named key (nil: none).
func firstValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// isDocMarker reports whether b starts with a "---" document marker line.
func isDocMarker(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("---")) {
		return false
	}
	return len(b) == 3 || b[3] == ' ' || b[3] == '\n' || b[3] == '\r' || b[3] == '\t'
}
