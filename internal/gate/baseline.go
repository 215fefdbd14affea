package gate

import (
	"fmt"

	"github.com/kship/kship/internal/config"
)

// BaselineBreach checks a baseline (what the gate's query returned before
// the rollout) against the gate's absolute thresholds, min and max. A
// baseline that already breaks them is the current state's problem, not the
// new revision's: the message says so, with the advice to judge the rise
// over the baseline (maxIncrease) or to fix the current state first. It
// returns "" when no baseline series breaks min or max.
func BaselineBreach(g config.Gate, baseline []Series) string {
	if g.Min == nil && g.Max == nil {
		return ""
	}
	abs := config.Gate{Name: g.Name, Min: g.Min, Max: g.Max}
	data := withData(baseline)
	failed := 0
	var first judged
	for _, s := range data {
		if j := judgeSeries(abs, s, nil); j.verdict == Fail {
			if failed == 0 {
				first = j
			}
			failed++
		}
	}
	if failed == 0 {
		return ""
	}
	subject := g.Name
	if first.series.Labels != "" {
		subject += first.series.Labels
	}
	of := ""
	if len(data) > 1 {
		of = fmt.Sprintf(" (%d of %d series)", failed, len(data))
	}
	advice := "use maxIncrease to judge the rise over the baseline instead, or fix the current state first"
	if g.MaxIncrease != nil {
		advice = "maxIncrease judges the rise over it, but min and max will fail whatever the new revision does: fix the current state first, or drop them"
	}
	return fmt.Sprintf("%s: the baseline %s measured before the rollout already breaks %s%s: the current state fails this gate before the new revision is applied; %s",
		subject, num(first.series.Value), first.fails[0][2:], of, advice)
}
