package evidence

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/validate"
)

// ChecklistText renders the concise terminal view of a check report: the
// verdict, then each family with its items marked ✓, ! or ✗ and the file
// and line of each problem.
func ChecklistText(r *validate.Report, info CheckInfo) string {
	var b strings.Builder
	verdict := "nothing blocks"
	if r.Blocking() {
		verdict = "BLOCKED"
	}
	fmt.Fprintf(&b, "Checks for release %s in namespace %s: %s (%d failed, %s, %d passed)\n",
		info.Release, info.Namespace, verdict, r.Count(validate.Fail), warnings(r.Count(validate.Warn)), r.Count(validate.Pass))
	for _, f := range Families(r) {
		fmt.Fprintf(&b, "\n%s\n", f.Title)
		for _, c := range f.Checks {
			fmt.Fprintf(&b, "  %s ", StatusMark(c.Status))
			if c.Source.File != "" && c.Status != validate.Pass {
				fmt.Fprintf(&b, "%s: ", c.Source)
			}
			fmt.Fprintf(&b, "%s\n", oneLine(c.Message))
		}
	}
	return b.String()
}
