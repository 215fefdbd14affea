package release

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kship/kship/internal/manifest"
)

// lineFinder locates a field of an object in its source file, so a
// dry-run refusal points at the offending line rather than the document.
type lineFinder struct {
	dir   string
	files map[string][]*yaml.Node // parsed documents per file; nil when unreadable
}

func newLineFinder(dir string) *lineFinder {
	return &lineFinder{dir: dir, files: map[string][]*yaml.Node{}}
}

// locate returns the location of path ("spec.template.spec.containers[0].image")
// in the document at src, or of its deepest part found; src when the file
// cannot be read or has no line (rendered Helm output).
func (f *lineFinder) locate(src manifest.Location, path string) manifest.Location {
	if src.Line == 0 || src.File == "" || path == "" {
		return src
	}
	doc := f.document(src)
	if doc == nil {
		return src
	}
	line := walkLine(doc, splitPath(path))
	if line > 0 {
		src.Line = line
	}
	return src
}

// document returns the mapping node of the document starting at src.Line.
func (f *lineFinder) document(src manifest.Location) *yaml.Node {
	docs, ok := f.files[src.File]
	if !ok {
		docs = parseDocs(filepath.Join(f.dir, src.File))
		f.files[src.File] = docs
	}
	var best *yaml.Node
	for _, d := range docs {
		if d.Line <= src.Line && (best == nil || d.Line > best.Line) {
			best = d
		}
	}
	return best
}

func parseDocs(path string) []*yaml.Node {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			return out
		}
		if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
			out = append(out, doc.Content[0])
		}
	}
}

var indexSuffix = regexp.MustCompile(`\[([^\]]*)\]`)

// splitPath splits "a.b[0].c" into "a", "b", "[0]", "c".
func splitPath(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		name := part
		if i := strings.Index(part, "["); i >= 0 {
			name = part[:i]
		}
		if name != "" {
			out = append(out, name)
		}
		out = append(out, indexSuffix.FindAllString(part, -1)...)
	}
	return out
}

// walkLine follows the path segments through n and returns the line of the
// deepest node reached (0 if none).
func walkLine(n *yaml.Node, segs []string) int {
	line := 0
	for _, s := range segs {
		next, at := child(n, s)
		if next == nil {
			return line
		}
		n, line = next, at
	}
	return line
}

func child(n *yaml.Node, seg string) (*yaml.Node, int) {
	if strings.HasPrefix(seg, "[") {
		i, err := strconv.Atoi(strings.Trim(seg, "[]"))
		if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
			return nil, 0
		}
		return n.Content[i], n.Content[i].Line
	}
	if n.Kind != yaml.MappingNode {
		return nil, 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == seg {
			return n.Content[i+1], n.Content[i].Line
		}
	}
	return nil, 0
}
