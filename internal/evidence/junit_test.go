package evidence

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestJUnit(t *testing.T) {
	b, err := JUnit(sampleReport(), sampleInfo)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, b)
	}
	if doc.Tests != 5 || doc.Failures != 2 || len(doc.Suites) != 5 {
		t.Fatalf("tests %d failures %d suites %d, want 5, 2, 5", doc.Tests, doc.Failures, len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "schema" || s.Failures != 1 || s.Cases[0].Failure == nil || !strings.Contains(s.Cases[0].Name, "deploy/web.yaml:21") {
		t.Errorf("schema suite %+v", s)
	}
}
