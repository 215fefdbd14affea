package evidence

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kship/kship/internal/plan"
)

// The plan's human views (rollout-plan.md and the terminal) list every
// change, risk and restart of a release of ordinary size. Beyond these
// limits they list the changes a reviewer must read first (dry-run
// failures, field conflicts, prunes, updates) up to the limit, count all
// of them per kind and namespace, show a risk kind found many times once
// with its count and examples, and name plan.json, which holds every one:
// a release of 100,000 objects gets a plan one can open.
const (
	markdownChanges   = 100
	textChanges       = 30
	markdownSummary   = 50 // kind/namespace rows of the summary table
	textSummary       = 10
	markdownRiskShown = 5 // a risk kind found more often is grouped
	textRiskShown     = 3
	markdownRestarts  = 100
	textRestarts      = 20
)

// everyChangeIn names the file that holds every change, risk and restart.
const everyChangeIn = "every one is in " + PlanJSONFile

// changeRank orders changes by how much a reviewer must see them: a failed
// dry-run first, then a field conflict, a prune, an update, a create, an
// unchanged object.
func changeRank(c plan.Change) int {
	switch {
	case c.DryRunError != "":
		return 0
	case c.Conflict != "":
		return 1
	case c.Action == plan.ActionPrune:
		return 2
	case c.Action == plan.ActionUpdate:
		return 3
	case c.Action == plan.ActionCreate:
		return 4
	}
	return 5
}

// shownChanges picks at most max of changes for a view, the most
// important first (changeRank), kept in the plan's order; omitted is how
// many were left out.
func shownChanges(changes []plan.Change, max int) (shown []plan.Change, omitted int) {
	if len(changes) <= max {
		return changes, 0
	}
	var perRank [6]int
	for _, c := range changes {
		perRank[changeRank(c)]++
	}
	// Every change of a rank below cut is shown, and the first room of rank cut.
	cut, room := 0, max
	for cut < len(perRank) && perRank[cut] <= room {
		room -= perRank[cut]
		cut++
	}
	shown = make([]plan.Change, 0, max)
	for _, c := range changes {
		r := changeRank(c)
		if r < cut || (r == cut && room > 0) {
			if r == cut {
				room--
			}
			shown = append(shown, c)
		}
	}
	return shown, len(changes) - len(shown)
}

// scopeRow counts the changes of one kind in one namespace.
type scopeRow struct {
	Kind, Namespace string
	Counts          map[plan.Action]int
	Failed, Total   int
}

// scopeRows counts changes per kind and namespace, the largest first;
// rows beyond max are summed into one last row named "(other)".
func scopeRows(changes []plan.Change, max int) []scopeRow {
	index := map[[2]string]int{}
	var rows []scopeRow
	for _, c := range changes {
		kind := c.Ref.Kind
		if c.Ref.Group != "" {
			kind += "." + c.Ref.Group
		}
		k := [2]string{kind, c.Ref.Namespace}
		i, ok := index[k]
		if !ok {
			i = len(rows)
			index[k] = i
			rows = append(rows, scopeRow{Kind: kind, Namespace: c.Ref.Namespace, Counts: map[plan.Action]int{}})
		}
		rows[i].Counts[c.Action]++
		rows[i].Total++
		if c.DryRunError != "" {
			rows[i].Failed++
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Total != rows[j].Total {
			return rows[i].Total > rows[j].Total
		}
		return rows[i].Kind+"/"+rows[i].Namespace < rows[j].Kind+"/"+rows[j].Namespace
	})
	if len(rows) <= max {
		return rows
	}
	other := scopeRow{Kind: fmt.Sprintf("(%d other kinds and namespaces)", len(rows)-max+1), Namespace: "(any)", Counts: map[plan.Action]int{}}
	for _, r := range rows[max-1:] {
		for a, n := range r.Counts {
			other.Counts[a] += n
		}
		other.Failed += r.Failed
		other.Total += r.Total
	}
	return append(rows[:max-1], other)
}

// riskItem is one line of the risks in a view: a single risk, or a risk
// kind found more than the view shows (Count > 0) with its first examples.
type riskItem struct {
	Risk     plan.Risk
	Count    int
	Examples []plan.Risk
}

// riskItems lays out risks for a view: in plan order, except that a kind
// found more than max times is one item, at its first place, with its
// count and first max risks as examples.
func riskItems(risks []plan.Risk, max int) []riskItem {
	count := map[plan.RiskKind]int{}
	for _, r := range risks {
		count[r.Kind]++
	}
	groups := map[plan.RiskKind]int{}
	var out []riskItem
	for _, r := range risks {
		if count[r.Kind] <= max {
			out = append(out, riskItem{Risk: r})
			continue
		}
		i, seen := groups[r.Kind]
		if !seen {
			i = len(out)
			groups[r.Kind] = i
			out = append(out, riskItem{Risk: r, Count: count[r.Kind]})
		}
		if len(out[i].Examples) < max {
			out[i].Examples = append(out[i].Examples, r)
		}
	}
	return out
}

// listedChangesText says how the changes of a long plan are shown.
func listedChangesText(total, shown int) string {
	return fmt.Sprintf("%d changes: the %d a reviewer must read first (dry-run failures, field conflicts, prunes, updates, then creates) are listed, the other %d are counted by kind and namespace; %s",
		total, shown, total-shown, everyChangeIn)
}

// groupedRiskText is the one line of a risk kind shown grouped.
func groupedRiskText(it riskItem) string {
	names := make([]string, len(it.Examples))
	for i, e := range it.Examples {
		names[i] = e.Object.String()
	}
	more := ""
	if it.Count > len(names) {
		more = ", ..."
	}
	return fmt.Sprintf("%d objects (%s%s); the first: %s; %s", it.Count, strings.Join(names, ", "), more, it.Risk.Message, everyChangeIn)
}
