package evidence

import (
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/validate"
)

// CheckInfo describes the run a check report came from, for the headers of
// the checklist and the machine-readable results.
type CheckInfo struct {
	Release   string
	Namespace string
	// Cluster is the API server checked against; empty when offline.
	Cluster     string
	KubeVersion string
	Generated   time.Time
	// ToolVersion is kship's version.
	ToolVersion string
	// SourceDir is the folder check source files are relative to (the
	// release file's folder); used to locate files in SARIF.
	SourceDir string
}

// familyOrder is the order check families are shown in: blocking families
// first, in the order the checks run.
var familyOrder = []string{
	validate.IDSchema, validate.IDAPIVersion, validate.IDDryRun, validate.IDReference,
	validate.IDMigration, validate.IDGuardrail, validate.IDHygiene,
}

// CheckFamily is one check family's items, in report order.
type CheckFamily struct {
	ID     string
	Title  string
	Checks []validate.Check
}

// Families groups a report's items by family, known families first in
// familyOrder, unknown ones after in order of appearance.
func Families(r *validate.Report) []CheckFamily {
	idx := map[string]int{}
	var out []CheckFamily
	for _, id := range familyOrder {
		idx[id] = len(out)
		out = append(out, CheckFamily{ID: id})
	}
	sizes := make([]int, len(out), len(out)+1)
	for _, c := range r.Checks {
		i, ok := idx[c.ID]
		if !ok {
			i = len(out)
			idx[c.ID] = i
			out = append(out, CheckFamily{ID: c.ID})
			sizes = append(sizes, 0)
		}
		sizes[i]++
	}
	for i := range out {
		out[i].Checks = make([]validate.Check, 0, sizes[i])
	}
	for _, c := range r.Checks {
		i := idx[c.ID]
		out[i].Checks = append(out[i].Checks, c)
		if out[i].Title == "" {
			out[i].Title = c.Title
		}
	}
	var kept []CheckFamily
	for _, f := range out {
		if len(f.Checks) > 0 {
			if f.Title == "" {
				f.Title = f.ID
			}
			kept = append(kept, f)
		}
	}
	return kept
}

// ChecklistMarkdown renders a check report as release-checklist.md: the
// verdict and counts at the top, then every item grouped by check family,
// each with its status, object, file and line, message and evidence. A
// rule found more than a few times is one item with its count and its
// first findings as examples (the machine formats list every finding).
func ChecklistMarkdown(r *validate.Report, info CheckInfo) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Release checklist: %s\n\n", info.Release)
	fmt.Fprintf(&b, "- Release: `%s`, namespace `%s`\n", info.Release, info.Namespace)
	if info.Cluster != "" {
		fmt.Fprintf(&b, "- Checked against: %s", info.Cluster)
	} else {
		b.WriteString("- Checked offline: built-in schemas and the bundle only, no server-side dry-run, no live references")
	}
	if info.KubeVersion != "" {
		fmt.Fprintf(&b, " (Kubernetes %s)", info.KubeVersion)
	}
	b.WriteString("\n")
	if !info.Generated.IsZero() {
		fmt.Fprintf(&b, "- Generated: %s\n", info.Generated.UTC().Format(time.RFC3339))
	}
	fails, warns, passes := r.Count(validate.Fail), r.Count(validate.Warn), r.Count(validate.Pass)
	if r.Blocking() {
		fmt.Fprintf(&b, "\n**BLOCKED**: %d failed, %s, %d passed. Nothing may be applied until every failed item is fixed.\n", fails, warnings(warns), passes)
	} else {
		fmt.Fprintf(&b, "\n**READY**: nothing blocks (%d passed, %s).\n", passes, warnings(warns))
	}
	fams := Families(r)
	b.WriteString("\n| check | pass | warn | fail |\n|---|---:|---:|---:|\n")
	for _, f := range fams {
		p, w, x := familyCounts(f)
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", mdCell(f.Title), p, w, x)
	}
	for _, f := range fams {
		fmt.Fprintf(&b, "\n## %s (`%s`)\n\n", f.Title, f.ID)
		for _, it := range viewItems(f.Checks, markdownExamples) {
			if it.Count == 0 {
				writeCheckItem(&b, it.Check)
				continue
			}
			writeCheckGroup(&b, it)
		}
	}
	return []byte(b.String())
}

func familyCounts(f CheckFamily) (pass, warn, fail int) {
	for _, c := range f.Checks {
		switch c.Status {
		case validate.Pass:
			pass++
		case validate.Warn:
			warn++
		case validate.Fail:
			fail++
		}
	}
	return pass, warn, fail
}

func writeCheckItem(b *strings.Builder, c validate.Check) {
	fmt.Fprintf(b, "- %s **%s**", StatusMark(c.Status), strings.ToUpper(string(c.Status)))
	if c.Source.File != "" {
		fmt.Fprintf(b, " `%s`", c.Source)
	}
	fmt.Fprintf(b, " — %s\n", oneLine(c.Message))
	if c.Evidence != "" && c.Evidence != c.Message {
		fmt.Fprintf(b, "  - Checked: %s\n", oneLine(c.Evidence))
	}
}

// writeCheckGroup writes a rule found many times: its count, its first
// findings as examples, and where the rest are.
func writeCheckGroup(b *strings.Builder, it viewItem) {
	c := it.Check
	fmt.Fprintf(b, "- %s **%s** %d× %s\n", StatusMark(c.Status), strings.ToUpper(string(c.Status)), it.Count, oneLine(ruleText(c)))
	if c.Evidence != "" && c.Evidence != c.Message {
		fmt.Fprintf(b, "  - Checked: %s\n", oneLine(c.Evidence))
	}
	for _, e := range it.Examples {
		b.WriteString("  - ")
		if e.Source.File != "" {
			fmt.Fprintf(b, "`%s` ", e.Source)
		}
		fmt.Fprintf(b, "%s\n", oneLine(e.Message))
	}
	fmt.Fprintf(b, "  - … and %d more: %s\n", it.Count-len(it.Examples), everyFindingIn)
}

// StatusMark is the one-character mark of a check status: ✓, ! or ✗.
func StatusMark(s validate.Status) string {
	switch s {
	case validate.Pass:
		return "✓"
	case validate.Warn:
		return "!"
	}
	return "✗"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func warnings(n int) string {
	if n == 1 {
		return "1 warning"
	}
	return fmt.Sprintf("%d warnings", n)
}
