package evidence

import (
	"encoding/xml"
	"fmt"

	"github.com/kship/kship/internal/validate"
)

type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		File      string        `xml:"file,attr,omitempty"`
		Line      int           `xml:"line,attr,omitempty"`
		Failure   *junitFailure `xml:"failure,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// JUnit renders a check report as JUnit XML: one testsuite per check
// family, one testcase per item, a failure for each failed item. Warnings
// pass (they do not block) and carry the warning in system-out.
func JUnit(r *validate.Report, info CheckInfo) ([]byte, error) {
	doc := junitSuites{Name: "kship check " + info.Release}
	for _, f := range Families(r) {
		s := junitSuite{Name: f.ID}
		for _, c := range f.Checks {
			s.Cases = append(s.Cases, junitCaseOf(c))
			s.Tests++
			if c.Status == validate.Fail {
				s.Failures++
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Suites = append(doc.Suites, s)
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode junit: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

func junitCaseOf(c validate.Check) junitCase {
	name := c.Title
	if c.Object.Kind != "" {
		name = c.Object.String()
	}
	if c.Source.File != "" {
		name += " (" + c.Source.String() + ")"
	}
	jc := junitCase{Name: name, ClassName: "kship." + c.ID, File: c.Source.File, Line: c.Source.Line}
	switch c.Status {
	case validate.Fail:
		jc.Failure = &junitFailure{Message: c.Message, Type: c.ID, Text: c.Evidence}
	case validate.Warn:
		jc.SystemOut = "warning: " + c.Message
	default:
		jc.SystemOut = c.Message
	}
	return jc
}
