package evidence

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/validate"
)

// repeatedReport has one rule found n times (a readiness probe missing in
// n Deployments), a rule found twice, and the usual other items.
func repeatedReport(n int) *validate.Report {
	r := sampleReport()
	for i := 0; i < n; i++ {
		ref := manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: fmt.Sprintf("app%d", i)}
		r.Add(validate.Check{ID: validate.IDHygiene, Title: "Workload hygiene", Status: validate.Warn, Object: ref,
			Source: manifest.Location{File: "deploy/apps.yaml", Line: 10 + 13*i}, Rule: "container … has no readiness probe: it receives traffic before it is ready",
			Message: ref.String() + `: container "web" has no readiness probe: it receives traffic before it is ready`, Evidence: "the pod template"})
	}
	for _, name := range []string{"a", "b"} {
		ref := manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: name}
		r.Add(validate.Check{ID: validate.IDHygiene, Title: "Workload hygiene", Status: validate.Warn, Object: ref,
			Source: manifest.Location{File: "deploy/ab.yaml", Line: 3}, Rule: "a single replica: any restart or node drain is an outage",
			Message: ref.String() + ": a single replica: any restart or node drain is an outage"})
	}
	return r
}

// TestViewsGroupRepeatedFindings: a rule found 1,000 times is one line with
// its count and a few examples in the terminal and Markdown views; rules
// found a few times are listed as before.
func TestViewsGroupRepeatedFindings(t *testing.T) {
	r := repeatedReport(1000)
	text := ChecklistText(r, sampleInfo)
	md := string(ChecklistMarkdown(r, sampleInfo))
	for _, tc := range []struct {
		name, view string
		examples   int
		want       []string
	}{
		{"text", text, textExamples, []string{
			"  ! 1000× container … has no readiness probe: it receives traffic before it is ready, e.g.\n      deploy/apps.yaml:10: Deployment shop/app0: container \"web\" has no readiness probe",
			"      … and 997 more (every one is in checks.json, checks.sarif and checks.junit.xml)\n",
			"  ! deploy/ab.yaml:3: Deployment shop/a: a single replica",
			"  ! deploy/ab.yaml:3: Deployment shop/b: a single replica",
		}},
		{"markdown", md, markdownExamples, []string{
			"- ! **WARN** 1000× container … has no readiness probe: it receives traffic before it is ready\n  - Checked: the pod template\n  - `deploy/apps.yaml:10` Deployment shop/app0:",
			"  - … and 995 more: every one is in checks.json, checks.sarif and checks.junit.xml\n",
			"| Workload hygiene | 0 | 1003 | 0 |",
		}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.view, w) {
				t.Errorf("%s view does not contain %q:\n%s", tc.name, w, tc.view)
			}
		}
		if got := strings.Count(tc.view, "has no readiness probe"); got != tc.examples+2 { // rule line, examples, the sample's own
			t.Errorf("%s view names the repeated rule %d times, want %d", tc.name, got, tc.examples+2)
		}
	}
	if len(text) > 4000 || len(md) > 6000 {
		t.Errorf("views of 1,000 findings are %d and %d bytes", len(text), len(md))
	}
}

// TestWriteChecksIsCompleteAndRedacted: the machine formats hold every
// finding, parse, match the in-memory document, and never a Secret value.
func TestWriteChecksIsCompleteAndRedacted(t *testing.T) {
	r := repeatedReport(50)
	r.Checks[1].Message = "a message that leaks s3cr3t-value"
	red := &Redactor{}
	red.Add("s3cr3t-value")
	dir := t.TempDir()
	files, err := WriteChecks(dir, r, sampleInfo, "/repo", red)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Fatalf("files %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("s3cr3t-value")) || !bytes.Contains(data, []byte(Mask)) && !strings.HasSuffix(f, ".md") {
			t.Errorf("%s: the Secret value is not masked", f)
		}
	}
	var doc struct {
		Release, Namespace string
		Blocking           bool
		Counts             map[string]int
		Checks             []validate.Check
	}
	readJSON(t, filepath.Join(dir, ChecksJSONFile), &doc)
	if doc.Release != "web" || !doc.Blocking || len(doc.Checks) != len(r.Checks) || doc.Counts["warn"] != r.Count(validate.Warn) {
		t.Errorf("checks.json: %s/%s blocking %v, %d checks (want %d), counts %v", doc.Namespace, doc.Release, doc.Blocking, len(doc.Checks), len(r.Checks), doc.Counts)
	}
	for i := range r.Checks {
		want := r.Checks[i]
		want.Message = red.String(want.Message)
		if doc.Checks[i] != want {
			t.Errorf("checks.json item %d = %+v, want %+v", i, doc.Checks[i], want)
		}
	}
	var sarif struct {
		Runs []struct {
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	readJSON(t, filepath.Join(dir, ChecksSARIFFile), &sarif)
	if len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != len(r.Checks) {
		t.Errorf("SARIF results: %+v", sarif)
	}
	data, err := os.ReadFile(filepath.Join(dir, ChecksJUnitFile))
	if err != nil {
		t.Fatal(err)
	}
	var junit junitSuites
	if err := xml.Unmarshal(data, &junit); err != nil {
		t.Fatalf("JUnit: %v", err)
	}
	cases := 0
	for _, s := range junit.Suites {
		cases += len(s.Cases)
		if s.Tests != len(s.Cases) {
			t.Errorf("suite %s: tests=%d, %d cases", s.Name, s.Tests, len(s.Cases))
		}
	}
	if junit.Tests != len(r.Checks) || cases != len(r.Checks) || junit.Failures != 2 {
		t.Errorf("JUnit: tests %d, cases %d, failures %d; want %d, %d, 2", junit.Tests, cases, junit.Failures, len(r.Checks), len(r.Checks))
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestWriteChecksJSONEmpty: a report without items is still a document.
func TestWriteChecksJSONEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteChecksJSON(&b, &validate.Report{}, sampleInfo, nil); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if checks, ok := doc["checks"].([]any); !ok || len(checks) != 0 {
		t.Errorf("checks = %v", doc["checks"])
	}
}
