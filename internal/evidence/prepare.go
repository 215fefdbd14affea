package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/plan"
	"github.com/kship/kship/internal/validate"
)

// The files a plan writes into its evidence folder.
const (
	PlanMarkdownFile = "rollout-plan.md"
	PlanJSONFile     = "plan.json"
)

// WritePlan writes rollout-plan.md and plan.json into dir (created if
// needed), every byte through red, and returns the paths written. plan.json
// holds every change; it is indented for a plan a person reads whole, and
// compact (half the bytes) for one longer than rollout-plan.md lists.
func WritePlan(dir string, p *plan.Plan, red *Redactor) ([]string, error) {
	var js []byte
	var err error
	if len(p.Changes) > markdownChanges {
		js, err = json.Marshal(p)
	} else {
		js, err = json.MarshalIndent(p, "", "  ")
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", PlanJSONFile, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("evidence folder %s: %w", dir, err)
	}
	var paths []string
	for _, f := range []struct {
		name string
		data []byte
	}{{PlanMarkdownFile, PlanMarkdown(p)}, {PlanJSONFile, append(js, '\n')}} {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, red.Bytes(f.data), 0o644); err != nil {
			return paths, fmt.Errorf("write %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// PlanWritten is the payload of event.TypePlan: the plan, and the folder
// and files it was written to. In JSON (evidence.json, JSON lines) it is the
// files and counts only; plan.json holds the plan.
type PlanWritten struct {
	Plan  *plan.Plan
	Dir   string
	Files []string
	// Removed is how many older check/plan folders of the release were
	// removed to keep the newest Keep (0: every one is kept).
	Removed, Keep int
}

// EventType is event.TypePlan.
func (PlanWritten) EventType() event.Type { return event.TypePlan }

// MarshalJSON writes where the plan is and what it counts.
func (p PlanWritten) MarshalJSON() ([]byte, error) {
	out := struct {
		Dir    string              `json:"dir"`
		Files  []string            `json:"files"`
		Counts map[plan.Action]int `json:"counts,omitempty"`
		Risks  int                 `json:"risks"`
		// Removed are the older check/plan folders removed, Keep how
		// many are kept.
		Removed int `json:"removedOldPlans,omitempty"`
		Keep    int `json:"keepPlans,omitempty"`
	}{Dir: p.Dir, Files: p.Files, Removed: p.Removed, Keep: p.Keep}
	if p.Plan != nil {
		out.Counts, out.Risks = p.Plan.Counts, len(p.Plan.Risks)
	}
	return json.Marshal(out)
}

// ChecksWritten is the payload of event.TypeChecks: every prepare check,
// the run they came from, and the folder and files they were written to.
// In JSON it is the files and counts only; checks.json holds the checks.
type ChecksWritten struct {
	Report *validate.Report
	Info   CheckInfo
	Dir    string
	Files  []string
}

// EventType is event.TypeChecks.
func (ChecksWritten) EventType() event.Type { return event.TypeChecks }

// MarshalJSON writes where the checks are and what they count.
func (c ChecksWritten) MarshalJSON() ([]byte, error) {
	out := struct {
		Dir      string         `json:"dir"`
		Files    []string       `json:"files"`
		Blocking bool           `json:"blocking"`
		Counts   map[string]int `json:"counts,omitempty"`
	}{Dir: c.Dir, Files: c.Files}
	if c.Report != nil {
		out.Blocking = c.Report.Blocking()
		out.Counts = map[string]int{"pass": c.Report.Count(validate.Pass), "warn": c.Report.Count(validate.Warn), "fail": c.Report.Count(validate.Fail)}
	}
	return json.Marshal(out)
}

// Document is what `kship plan` and `kship check` print: a view of the
// stream that keeps the plan and checks events it sees and renders them
// as text or as one JSON document.
type Document struct {
	mu     sync.Mutex
	plan   *PlanWritten
	checks *ChecksWritten
}

// Emit keeps the plan and checks events.
func (d *Document) Emit(e event.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch p := e.Data.(type) {
	case PlanWritten:
		d.plan = &p
	case ChecksWritten:
		d.checks = &p
	}
}

// Text is the human document: the plan, the checklist when checks ran, and
// where the files were written.
func (d *Document) Text() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var s bytes.Buffer
	dir, kept := "", ""
	if d.plan != nil {
		s.WriteString(PlanText(d.plan.Plan) + "\n")
		dir = d.plan.Dir
		if d.plan.Keep > 0 {
			kept = fmt.Sprintf(" (this release's newest %d check/plan folders are kept", d.plan.Keep)
			if d.plan.Removed > 0 {
				kept += fmt.Sprintf("; %d older removed", d.plan.Removed)
			}
			kept += "; --keep-plans changes it)"
		}
	}
	if d.checks != nil {
		s.WriteString(ChecklistText(d.checks.Report, d.checks.Info) + "\n")
		dir = d.checks.Dir
	}
	if dir != "" {
		fmt.Fprintf(&s, "Wrote %s%s\n", dir, kept)
	}
	return s.String()
}

// WriteJSON writes the machine document: {"plan", "checks" (as in
// checks.json, when checks ran), "evidenceDir"}.
func (d *Document) WriteJSON(w io.Writer) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out struct {
		Plan        *plan.Plan      `json:"plan"`
		Checks      json.RawMessage `json:"checks,omitempty"`
		EvidenceDir string          `json:"evidenceDir"`
	}
	if d.plan != nil {
		out.Plan, out.EvidenceDir = d.plan.Plan, d.plan.Dir
	}
	if d.checks != nil {
		var b bytes.Buffer
		if err := WriteChecksJSON(&b, d.checks.Report, d.checks.Info, nil); err != nil {
			return err
		}
		out.Checks, out.EvidenceDir = b.Bytes(), d.checks.Dir
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
