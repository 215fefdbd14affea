package evidence

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/validate"
)

// ChecklistText renders the concise terminal view of a check report: the
// verdict, then each family with its items marked ✓, ! or ✗ and the file
// and line of each problem. A rule found more than a few times is shown
// once with its count and a few examples.
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
		for _, it := range viewItems(f.Checks, textExamples) {
			if it.Count == 0 {
				fmt.Fprintf(&b, "  %s %s\n", StatusMark(it.Check.Status), textFinding(it.Check))
				continue
			}
			fmt.Fprintf(&b, "  %s %d× %s, e.g.\n", StatusMark(it.Check.Status), it.Count, oneLine(ruleText(it.Check)))
			for _, c := range it.Examples {
				fmt.Fprintf(&b, "      %s\n", textFinding(c))
			}
			fmt.Fprintf(&b, "      … and %d more (%s)\n", it.Count-len(it.Examples), everyFindingIn)
		}
	}
	return b.String()
}

// textFinding is one finding as the terminal view shows it: the file and
// line of a problem, then the message.
func textFinding(c validate.Check) string {
	if c.Source.File != "" && c.Status != validate.Pass {
		return fmt.Sprintf("%s: %s", c.Source, oneLine(c.Message))
	}
	return oneLine(c.Message)
}
