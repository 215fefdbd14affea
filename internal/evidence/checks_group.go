package evidence

import (
	"strings"

	"github.com/kship/kship/internal/validate"
)

// The human and Markdown views show every finding unless one rule repeats:
// a rule found more often than this is shown once, with its count and this
// many examples; checks.json, SARIF and JUnit keep every finding.
const (
	textExamples     = 3
	markdownExamples = 5
)

// viewItem is one line of a family in a view: a single finding, or the
// first place of a rule that repeats (Count > 0).
type viewItem struct {
	Check validate.Check
	// Count is how many findings of the rule a grouped item stands for
	// (0: a single finding); Examples are the first of them, in report
	// order.
	Count    int
	Examples []validate.Check
}

// ruleKey is what makes two findings of a family the same finding: the
// rule validate recorded, else the message without the object it names.
func ruleKey(c validate.Check) string {
	rule := c.Rule
	if rule == "" {
		rule = strings.TrimPrefix(c.Message, c.Object.String()+": ")
	}
	return string(c.Status) + "\x00" + rule
}

// ruleText is how a grouped rule reads: the recorded rule, else the
// message without its object.
func ruleText(c validate.Check) string {
	if c.Rule != "" {
		return c.Rule
	}
	return strings.TrimPrefix(c.Message, c.Object.String()+": ")
}

// viewItems lays out a family for a view: findings in report order, except
// that a rule found more than max times is one item, at its first place,
// with its count and its first max findings as examples.
func viewItems(checks []validate.Check, max int) []viewItem {
	count := map[string]int{}
	for _, c := range checks {
		count[ruleKey(c)]++
	}
	groups := map[string]int{} // rule -> index in out
	var out []viewItem
	for _, c := range checks {
		k := ruleKey(c)
		if count[k] <= max {
			out = append(out, viewItem{Check: c})
			continue
		}
		i, seen := groups[k]
		if !seen {
			i = len(out)
			groups[k] = i
			out = append(out, viewItem{Check: c, Count: count[k]})
		}
		if len(out[i].Examples) < max {
			out[i].Examples = append(out[i].Examples, c)
		}
	}
	return out
}

// everyFindingIn names the files that hold every finding.
const everyFindingIn = "every one is in " + ChecksJSONFile + ", " + ChecksSARIFFile + " and " + ChecksJUnitFile
