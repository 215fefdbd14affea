package evidence

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/event"
)

// kship check's printed document is a view of the stream: the plan and
// checks events it saw, as text or one JSON document; kship plan's has no
// checks.
func TestDocumentIsAViewOfThePlanAndChecksEvents(t *testing.T) {
	p, r := samplePlan(), sampleReport()
	d := &Document{}
	d.Emit(event.Event{Type: event.TypeStageStarted, Message: "checking"})
	d.Emit(event.Event{Type: event.TypePlan, Data: PlanWritten{Plan: p, Dir: "/ev/web/plan-1"}})
	d.Emit(event.Event{Type: event.TypeChecks, Data: ChecksWritten{Report: r, Info: sampleInfo, Dir: "/ev/web/plan-1"}})
	want := PlanText(p) + "\n" + ChecklistText(r, sampleInfo) + "\nWrote /ev/web/plan-1\n"
	if got := d.Text(); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	var b bytes.Buffer
	if err := d.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Plan   struct{ Release string } `json:"plan"`
		Checks *struct {
			Release  string         `json:"release"`
			Blocking bool           `json:"blocking"`
			Counts   map[string]int `json:"counts"`
			Checks   []json.RawMessage
		} `json:"checks"`
		EvidenceDir string `json:"evidenceDir"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	if doc.Plan.Release != p.Release || doc.Checks == nil || !doc.Checks.Blocking || doc.Checks.Counts["fail"] != 2 ||
		len(doc.Checks.Checks) != len(r.Checks) || doc.EvidenceDir != "/ev/web/plan-1" {
		t.Errorf("JSON document: %+v", doc)
	}
	planOnly := &Document{}
	planOnly.Emit(event.Event{Type: event.TypePlan, Data: PlanWritten{Plan: p, Dir: "/ev/web/plan-2"}})
	b.Reset()
	if err := planOnly.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `"checks"`) || !strings.HasSuffix(planOnly.Text(), "Wrote /ev/web/plan-2\n") {
		t.Errorf("plan document:\n%s", b.String())
	}
}

// In evidence.json and JSON lines the plan and checks events name their
// files and counts; the plan and the checks themselves are in plan.json
// and checks.json.
func TestPlanAndChecksEventsAreSmallInJSON(t *testing.T) {
	dir := t.TempDir()
	files, err := WritePlan(dir, samplePlan(), NewRedactor())
	if err != nil || len(files) != 2 || filepath.Base(files[0]) != PlanMarkdownFile || filepath.Base(files[1]) != PlanJSONFile {
		t.Fatalf("WritePlan: %v %v", files, err)
	}
	if st, err := os.Stat(files[1]); err != nil || st.Size() == 0 {
		t.Fatalf("plan.json: %v", err)
	}
	e := event.Event{Type: event.TypeChecks, Data: ChecksWritten{Report: sampleReport(), Info: sampleInfo, Dir: dir, Files: []string{"a"}}}
	js, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "contianers") || !strings.Contains(string(js), `"blocking":true`) || !strings.Contains(string(js), `"fail":2`) {
		t.Errorf("checks event in JSON: %s", js)
	}
	js, _ = json.Marshal(event.Event{Type: event.TypePlan, Data: PlanWritten{Plan: samplePlan(), Dir: dir, Files: files}})
	if strings.Contains(string(js), `"diff"`) || !strings.Contains(string(js), PlanJSONFile) {
		t.Errorf("plan event in JSON: %s", js)
	}
}
