package release

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
)

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

// writePlan writes the plan's files, then emits the plan into the stream
// (kship plan prints it from there).
func writePlan(p *Prepared, o PrepareOptions) error {
	files, err := evidence.WritePlan(p.EvidenceDir, p.Plan, p.Redactor)
	p.Files = append(p.Files, files...)
	if err != nil {
		return err
	}
	removed, err := prunePlans(p, o)
	if err != nil {
		return err
	}
	emitData(o, event.StagePlan, event.TypePlan, fmt.Sprintf("plan written to %s", p.EvidenceDir),
		evidence.PlanWritten{Plan: p.Plan, Dir: p.EvidenceDir, Files: files, Removed: len(removed), Keep: keepPlans(o)})
	return nil
}

// prunePlans removes the release's oldest check/plan folders beyond
// KeepPlans, once this run's folder is written; a deploy's bundle run
// (BundleDir) removes nothing.
func prunePlans(p *Prepared, o PrepareOptions) ([]string, error) {
	if o.BundleDir != "" {
		return nil, nil
	}
	return evidence.PrunePlans(filepath.Dir(p.EvidenceDir), keepPlans(o), p.EvidenceDir)
}

func keepPlans(o PrepareOptions) int {
	switch {
	case o.BundleDir != "" || o.KeepPlans < 0:
		return 0
	case o.KeepPlans == 0:
		return evidence.DefaultKeepPlans
	}
	return o.KeepPlans
}

// writeChecks writes the checks' files, then emits them into the stream
// (kship check prints them from there).
func writeChecks(p *Prepared, o PrepareOptions) error {
	info := evidence.CheckInfo{Release: p.Release.Metadata.Name, Namespace: p.Release.Spec.Namespace,
		Cluster: p.Plan.Cluster, KubeVersion: o.KubeVersion, Generated: p.Plan.Generated, ToolVersion: o.ToolVersion, SourceDir: p.Release.Dir}
	files, err := evidence.WriteChecks(p.EvidenceDir, p.Report, info, sarifBase(), p.Redactor)
	p.Files = append(p.Files, files...)
	if err != nil {
		return err
	}
	emitData(o, event.StagePrepare, event.TypeChecks, fmt.Sprintf("checks written to %s", p.EvidenceDir),
		evidence.ChecksWritten{Report: p.Report, Info: info, Dir: p.EvidenceDir, Files: files})
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
