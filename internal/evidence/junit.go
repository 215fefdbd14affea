package evidence

import (
	"encoding/xml"
	"io"
	"strconv"

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

// WriteJUnit writes a check report as JUnit XML in one streaming pass: one
// testsuite per check family, one testcase per item, a failure for each
// failed item. Warnings pass (they do not block) and carry the warning in
// system-out.
func WriteJUnit(w io.Writer, r *validate.Report, info CheckInfo, red *Redactor) error {
	fams := Families(r)
	s := &stream{w: w, red: red}
	s.raw(xml.Header)
	s.xmlStart(xml.StartElement{Name: xml.Name{Local: "testsuites"}, Attr: []xml.Attr{
		{Name: xml.Name{Local: "name"}, Value: "kship check " + info.Release},
		{Name: xml.Name{Local: "tests"}, Value: strconv.Itoa(len(r.Checks))},
		{Name: xml.Name{Local: "failures"}, Value: strconv.Itoa(r.Count(validate.Fail))},
	}}, "")
	for _, f := range fams {
		_, _, fails := familyCounts(f)
		s.raw("\n")
		s.xmlStart(xml.StartElement{Name: xml.Name{Local: "testsuite"}, Attr: []xml.Attr{
			{Name: xml.Name{Local: "name"}, Value: f.ID},
			{Name: xml.Name{Local: "tests"}, Value: strconv.Itoa(len(f.Checks))},
			{Name: xml.Name{Local: "failures"}, Value: strconv.Itoa(fails)},
			{Name: xml.Name{Local: "skipped"}, Value: "0"},
		}}, "  ")
		cases := newXMLEncoder("    ")
		for i, c := range f.Checks {
			if i == 0 {
				s.raw("\n") // the encoder puts a newline before the others
			}
			s.xml(cases, junitCaseOf(c), "testcase")
		}
		s.raw("\n  </testsuite>")
	}
	s.raw("\n</testsuites>\n")
	return s.err
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
