package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/validate"
)

// Kinds of attempt a bundle records.
const (
	KindDeploy   = "deploy"
	KindRollback = "rollback"
	KindDrill    = "drill"
	// KindPromote continues a paused release (kship promote), KindAbort
	// rolls one back (kship abort).
	KindPromote = "promote"
	KindAbort   = "abort"
)

// File names inside a bundle folder.
const (
	EvidenceFile = "evidence.json"
	RollbackFile = "rollback.md"
	ReportFile   = "report.html"
)

// Bundle is everything kship knows about one attempt, written as files:
// its outcome, the steps to roll it back, a drill's result and every event.
type Bundle struct {
	// Kind is KindDeploy, KindRollback, KindDrill, KindPromote or KindAbort.
	Kind string `json:"kind"`
	event.Outcome
	Rollback RollbackSteps `json:"rollback"`
	Drill    *Drill        `json:"drill,omitempty"`
	// Provenance says who ran it, with which kship, on which cluster, from
	// which source, and the images before and after.
	Provenance *Provenance   `json:"provenance,omitempty"`
	Events     []event.Event `json:"events"`
}

// Drill is the result of a rollback drill: the release was rolled back to
// its previous revision, verified, rolled forward again and verified.
type Drill struct {
	// Verdict is "passed" when both the rollback and the roll-forward were
	// verified, "failed" otherwise.
	Verdict string `json:"verdict"`
	// FromRevision is the drilled release revision; ToRevision the one the
	// drill rolled back to (0: the release was removed).
	FromRevision int `json:"fromRevision"`
	ToRevision   int `json:"toRevision"`
	// ToOrigin is what the drill rolled back to when it was no kship
	// revision but what ran before kship's first one (ToRevision 0).
	ToOrigin    *event.Origin `json:"toOrigin,omitempty"`
	Rollback    string        `json:"rollback"`
	RollForward string        `json:"rollForward"`
	// Migrations are the migration Jobs whose down step the drill ran.
	Migrations []string `json:"migrations,omitempty"`
}

// Drill verdicts.
const (
	DrillPassed = "passed"
	DrillFailed = "failed"
)

// Write writes evidence.json, rollback.md and report.html into b's folder
// (created if needed), masking every value r knows, and returns the SHA-256
// digest of evidence.json.
func Write(dir string, b *Bundle, r *Redactor) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("evidence folder %s: %w", dir, err)
	}
	js, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", EvidenceFile, err)
	}
	js = r.Bytes(js)
	files := map[string][]byte{
		EvidenceFile: js,
		RollbackFile: r.Bytes([]byte(RollbackMarkdown(b))),
		ReportFile:   r.Bytes([]byte(ReportHTML(b))),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
		}
	}
	sum := sha256.Sum256(js)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Folder is the bundle folder of an attempt:
// <root>/<release>/<revision>-<UTC timestamp>.
func Folder(root, release string, revision int, at time.Time) string {
	return filepath.Join(root, release, fmt.Sprintf("%d-%s", revision, at.UTC().Format("20060102T150405Z")))
}

// Read loads a bundle's evidence.json.
func Read(dir string) (*Bundle, error) {
	data, err := os.ReadFile(filepath.Join(dir, EvidenceFile))
	if err != nil {
		return nil, err
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %w", filepath.Join(dir, EvidenceFile), err)
	}
	return &b, nil
}

// ReadDrill reads what the destructive-migration guardrail of validate
// needs of the attempt recorded in dir (a validate.DrillReader): its kind,
// release and, for a drill, the drill's verdict. A folder without
// evidence.json is an error wrapping fs.ErrNotExist.
func ReadDrill(dir string) (validate.DrillRecord, error) {
	b, err := Read(dir)
	if err != nil {
		return validate.DrillRecord{}, err
	}
	rec := validate.DrillRecord{Kind: b.Kind, Release: b.Release}
	if b.Drill != nil {
		rec.Drilled, rec.Verdict = true, b.Drill.Verdict
	}
	return rec, nil
}
