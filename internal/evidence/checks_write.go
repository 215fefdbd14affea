package evidence

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kship/kship/internal/validate"
)

// The files a check writes into its evidence folder.
const (
	ChecklistMarkdownFile = "release-checklist.md"
	ChecksJSONFile        = "checks.json"
	ChecksSARIFFile       = "checks.sarif"
	ChecksJUnitFile       = "checks.junit.xml"
)

// WriteChecks writes a check report into dir: release-checklist.md (the
// grouped human view), then checks.json, checks.sarif and
// checks.junit.xml, each complete and written in one streaming pass (every
// item encoded, passed through the Secret redactor and written in turn),
// so memory and time grow with the report, not with its square. It
// returns the paths written, in order.
func WriteChecks(dir string, r *validate.Report, info CheckInfo, sarifBase string, red *Redactor) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("evidence folder %s: %w", dir, err)
	}
	var paths []string
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{ChecklistMarkdownFile, func(w io.Writer) error { _, err := w.Write(red.Bytes(ChecklistMarkdown(r, info))); return err }},
		{ChecksJSONFile, func(w io.Writer) error { return WriteChecksJSON(w, r, info, red) }},
		{ChecksSARIFFile, func(w io.Writer) error { return WriteSARIF(w, r, info, sarifBase, red) }},
		{ChecksJUnitFile, func(w io.Writer) error { return WriteJUnit(w, r, info, red) }},
	} {
		path := filepath.Join(dir, f.name)
		if err := writeFile(path, f.write); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// stream writes a document piece by piece, redacting each piece; the
// first error sticks.
type stream struct {
	w   io.Writer
	red *Redactor
	err error
}

func (s *stream) raw(text string) {
	if s.err == nil {
		_, s.err = io.WriteString(s.w, text)
	}
}

// json writes v as indented JSON whose lines start with indent.
func (s *stream) json(v any, indent string) {
	if s.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, indent, "  ")
	if err != nil {
		s.err = err
		return
	}
	_, s.err = s.w.Write(s.red.Bytes(b))
}

// line writes v as JSON on one line: the items of the long arrays, one
// per line (half the size of indented JSON, and each item one grep away).
func (s *stream) line(v any) {
	if s.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		s.err = err
		return
	}
	_, s.err = s.w.Write(s.red.Bytes(b))
}

// ChecksDocument is the content of checks.json as a value: what
// WriteChecksJSON streams, for a reader of the file and for a caller that
// returns it whole (the MCP check tool).
type ChecksDocument struct {
	Release   string           `json:"release"`
	Namespace string           `json:"namespace"`
	Blocking  bool             `json:"blocking"`
	Counts    map[string]int   `json:"counts"`
	Checks    []validate.Check `json:"checks"`
}

// NewChecksDocument is checks.json's content for a report.
func NewChecksDocument(r *validate.Report, info CheckInfo) ChecksDocument {
	checks := r.Checks
	if checks == nil {
		checks = []validate.Check{}
	}
	return ChecksDocument{Release: info.Release, Namespace: info.Namespace, Blocking: r.Blocking(), Checks: checks,
		Counts: map[string]int{"pass": r.Count(validate.Pass), "warn": r.Count(validate.Warn), "fail": r.Count(validate.Fail)}}
}

// WriteChecksJSON writes checks.json: release, namespace, whether it
// blocks, the counts and every check item, one per line (the document
// `kship check -o json` prints under "checks").
func WriteChecksJSON(w io.Writer, r *validate.Report, info CheckInfo, red *Redactor) error {
	s := &stream{w: w, red: red}
	s.raw("{\n  \"release\": ")
	s.json(info.Release, "  ")
	s.raw(",\n  \"namespace\": ")
	s.json(info.Namespace, "  ")
	s.raw(fmt.Sprintf(",\n  \"blocking\": %t,\n  \"counts\": ", r.Blocking()))
	s.json(map[string]int{"pass": r.Count(validate.Pass), "warn": r.Count(validate.Warn), "fail": r.Count(validate.Fail)}, "  ")
	s.raw(",\n  \"checks\": [")
	for i, c := range r.Checks {
		if i > 0 {
			s.raw(",")
		}
		s.raw("\n    ")
		s.line(c)
	}
	if len(r.Checks) > 0 {
		s.raw("\n  ")
	}
	s.raw("]\n}\n")
	return s.err
}

// xmlStart writes an element's start tag, its lines starting with indent.
func (s *stream) xmlStart(start xml.StartElement, indent string) {
	if s.err != nil {
		return
	}
	var b bytes.Buffer
	e := xml.NewEncoder(&b)
	s.err = e.EncodeToken(start)
	if s.err == nil {
		s.err = e.Flush()
	}
	if s.err == nil {
		_, s.err = s.w.Write(s.red.Bytes(append([]byte(indent), b.Bytes()...)))
	}
}

// xmlEncoder encodes elements one at a time into a reused buffer, so each
// can be redacted and written as it is encoded.
type xmlEncoder struct {
	buf bytes.Buffer
	enc *xml.Encoder
}

func newXMLEncoder(indent string) *xmlEncoder {
	x := &xmlEncoder{}
	x.enc = xml.NewEncoder(&x.buf)
	x.enc.Indent(indent, "  ")
	return x
}

// xml writes v as the element name through x (each element on its own
// lines, after a newline).
func (s *stream) xml(x *xmlEncoder, v any, name string) {
	if s.err != nil {
		return
	}
	x.buf.Reset()
	s.err = x.enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: name}})
	if s.err == nil {
		s.err = x.enc.Flush()
	}
	if s.err == nil {
		_, s.err = s.w.Write(s.red.Bytes(x.buf.Bytes()))
	}
}
