package release

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/validate"
)

// Files Prepare writes into the evidence folder.
const (
	PlanMarkdownFile      = "rollout-plan.md"
	PlanJSONFile          = "plan.json"
	ChecklistMarkdownFile = evidence.ChecklistMarkdownFile
	ChecksJSONFile        = evidence.ChecksJSONFile
	ChecksSARIFFile       = evidence.ChecksSARIFFile
	ChecksJUnitFile       = evidence.ChecksJUnitFile
)

// ChecksDocument is what `kship check -o json` prints under "checks": the
// content of checks.json (which evidence.WriteChecksJSON streams).
type ChecksDocument struct {
	Release   string           `json:"release"`
	Namespace string           `json:"namespace"`
	Blocking  bool             `json:"blocking"`
	Counts    map[string]int   `json:"counts"`
	Checks    []validate.Check `json:"checks"`
}

// NewChecksDocument summarises a report for checks.json.
func NewChecksDocument(release, namespace string, r *validate.Report) ChecksDocument {
	checks := r.Checks
	if checks == nil {
		checks = []validate.Check{}
	}
	return ChecksDocument{Release: release, Namespace: namespace, Blocking: r.Blocking(), Checks: checks,
		Counts: map[string]int{"pass": r.Count(validate.Pass), "warn": r.Count(validate.Warn), "fail": r.Count(validate.Fail)}}
}

// folder is where this run's files go.
func (o PrepareOptions) folder(release string) string {
	if o.BundleDir != "" {
		return o.BundleDir
	}
	base := filepath.Join(o.EvidenceDir, release, "plan-"+o.Now().UTC().Format("20060102T150405Z"))
	dir := base
	for i := 2; exists(dir); i++ {
		dir = fmt.Sprintf("%s-%d", base, i) // two runs in one second
	}
	return dir
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func writePlan(p *Prepared, o PrepareOptions) error {
	js, err := json.MarshalIndent(p.Plan, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", PlanJSONFile, err)
	}
	return p.write(o, map[string][]byte{
		PlanMarkdownFile: evidence.PlanMarkdown(p.Plan),
		PlanJSONFile:     append(js, '\n'),
	}, PlanMarkdownFile, PlanJSONFile)
}

func writeChecks(p *Prepared, o PrepareOptions) error {
	info := evidence.CheckInfo{Release: p.Release.Metadata.Name, Namespace: p.Release.Spec.Namespace,
		Cluster: p.Plan.Cluster, KubeVersion: o.KubeVersion, Generated: p.Plan.Generated, ToolVersion: o.ToolVersion, SourceDir: p.Release.Dir}
	files, err := evidence.WriteChecks(p.EvidenceDir, p.Report, info, sarifBase(), evidence.NewRedactor(p.Objects, o.Previous))
	p.Files = append(p.Files, files...)
	return err
}

// write writes files (in the given order) into the evidence folder, every
// byte passed through the Secret redactor as a second line of defence.
func (p *Prepared) write(o PrepareOptions, files map[string][]byte, order ...string) error {
	if err := os.MkdirAll(p.EvidenceDir, 0o755); err != nil {
		return fmt.Errorf("evidence folder %s: %w", p.EvidenceDir, err)
	}
	red := evidence.NewRedactor(p.Objects, o.Previous)
	for _, name := range order {
		path := filepath.Join(p.EvidenceDir, name)
		if err := os.WriteFile(path, red.Bytes(files[name]), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		p.Files = append(p.Files, path)
	}
	return nil
}

// sarifBase is the folder SARIF paths are relative to: the working
// directory, so code-scanning tools run from the repository root find the
// files.
func sarifBase() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return wd
}
