package config

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kship/kship/internal/input"
)

// Load reads a release file strictly: an unknown field, a wrong type or an
// invalid value is an *Error naming the line and what to write instead (an
// ErrorList when there are several; all are reported, not only the first).
// Defaults are filled in and listed in Release.Defaulted; Release.Dir is the
// absolute folder of the file. The file must be a regular file (symbolic
// links followed) of at most input.MaxReleaseFile bytes.
func Load(path string) (*Release, error) {
	data, err := input.ReadFile(path, input.MaxReleaseFile)
	if err != nil {
		msg := err.Error()
		var ie *input.Error
		if errors.As(err, &ie) {
			msg = ie.Message()
			if ie.Limit > 0 {
				msg += "; a release file says what to ship and how, the manifests belong in the files spec.source names"
			}
		}
		return nil, &Error{File: path, Msg: "cannot read the release file: " + msg}
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	rel, err := Parse(path, data, dir)
	if err != nil {
		return nil, err
	}
	return rel, nil
}

// Parse is Load for a release file already in memory; name is used in
// messages and dir is the folder relative paths are resolved against.
func Parse(name string, data []byte, dir string) (*Release, error) {
	c := &collector{file: name}
	root, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	rel := &Release{Dir: dir, Raw: data}
	d := &decoder{c: c, lines: map[string]int{}}
	d.decode(root, reflect.ValueOf(rel).Elem(), "")
	rel.lines = d.lines
	decodeErrs := len(c.errs)
	v := &validator{c: c, lines: d.lines, dir: dir}
	v.explicitZeros(rel)
	rel.Defaulted = applyDefaults(rel)
	v.release(rel)
	c.errs = dropSameLine(c.errs, decodeErrs)
	if err := c.err(); err != nil {
		return nil, err
	}
	return rel, nil
}

// parseDocument parses the one YAML document of a release file into its
// root mapping node.
func parseDocument(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &Error{File: name, Msg: "the release file is empty; run `kship init` to write a starter"}
		}
		return nil, syntaxError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil && len(extra.Content) > 0 && !isNull(extra.Content[0]) {
		return nil, &Error{File: name, Line: extra.Content[0].Line, Msg: "a release file holds one document; move this one to its own file"}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, &Error{File: name, Msg: "the release file is empty; run `kship init` to write a starter"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: name, Line: root.Line, Msg: "the release file must be a mapping starting with apiVersion: " + APIVersion}
	}
	return root, nil
}

func syntaxError(name string, err error) error {
	line, msg := YAMLSyntaxError(err)
	return &Error{File: name, Line: line, Msg: "invalid YAML: " + msg}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the YAML parser's (not scanner's) messages; the YAML
// library reports their line 0-based, one before the construct at fault.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'": true, "did not find expected ',' or '}'": true,
	"did not find expected '-' indicator": true, "did not find expected <document start>": true,
	"did not find expected key": true, "did not find expected node content": true,
	"found undefined tag handle": true, "found incompatible YAML document": true,
	"found duplicate %TAG directive": true, "found duplicate %YAML directive": true,
}

// YAMLSyntaxError returns the 1-based line (0 if unknown) and the message
// of an error from the YAML library (go.yaml.in/yaml/v3).
func YAMLSyntaxError(err error) (int, string) {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, strings.TrimPrefix(err.Error(), "yaml: ")
	}
	line, _ := strconv.Atoi(m[1])
	if parserProblems[m[2]] {
		line++
	}
	return line, m[2]
}

// dropSameLine removes checks (after the first n decode errors) that fall
// on a line already reported by decoding: a value of the wrong type is not
// also "missing".
func dropSameLine(errs []*Error, n int) []*Error {
	bad := map[int]bool{}
	for _, e := range errs[:n] {
		bad[e.Line] = true
	}
	out := errs[:n]
	for _, e := range errs[n:] {
		if !bad[e.Line] {
			out = append(out, e)
		}
	}
	return out
}
