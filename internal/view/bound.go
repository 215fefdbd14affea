package view

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kship/kship/internal/event"
)

// How many lines about single objects a stage prints: the first
// maxObjectLines as they come, then the first line of up to maxMoreGroups
// kinds and namespaces not shown yet; the rest are counted per kind and
// namespace and summed up when the stage ends (at most maxSummaryGroups
// lines). evidence.json keeps every event; this bounds only the screen and
// the CI log of a large release.
const (
	maxObjectLines   = 40
	maxMoreGroups    = 20
	maxSummaryGroups = 10
)

// objectLines is what one stage has shown and held back of its lines
// about single objects.
type objectLines struct {
	shown, moreGroups int
	seen              map[string]bool // kind and namespace shown at least once
	hidden            map[string]map[string]int
	hiddenTotal       int
}

// perObject reports whether e is one of the events a large release has one
// or more of per object (applied, a status transition, a Kubernetes Event)
// and that is not a failure: those are always shown.
func perObject(e event.Event) bool {
	switch e.Type {
	case event.TypeApplied:
		return !strings.HasPrefix(e.Message, "failed")
	case event.TypeStatus:
		st, _ := e.Data.(event.ObjectStatus)
		return st.Status != "Failed"
	case event.TypeKubeEvent:
		return true
	}
	return false
}

// admit reports whether a line about an object is shown, counting it when
// it is not.
func (v *View) admit(e event.Event) bool {
	b := v.bound[e.Stage]
	if b == nil {
		b = &objectLines{seen: map[string]bool{}, hidden: map[string]map[string]int{}}
		v.bound[e.Stage] = b
	}
	group := kindNamespace(e.Object)
	switch {
	case b.shown < maxObjectLines:
	case !b.seen[group] && b.moreGroups < maxMoreGroups:
		b.moreGroups++
	default:
		if b.hidden[group] == nil {
			b.hidden[group] = map[string]int{}
		}
		b.hidden[group][what(e)]++
		b.hiddenTotal++
		return false
	}
	b.shown++
	b.seen[group] = true
	return true
}

// summary is the lines that say what stage held back, then forgets it.
func (v *View) summary(stage event.Stage) []string {
	b := v.bound[stage]
	delete(v.bound, stage)
	if b == nil || b.hiddenTotal == 0 {
		return nil
	}
	type group struct {
		name  string
		total int
	}
	groups := make([]group, 0, len(b.hidden))
	for name, counts := range b.hidden {
		g := group{name: name}
		for _, n := range counts {
			g.total += n
		}
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].total != groups[j].total {
			return groups[i].total > groups[j].total
		}
		return groups[i].name < groups[j].name
	})
	lines := []string{fmt.Sprintf("%d more lines about objects not shown (evidence.json has every one), by kind and namespace:", b.hiddenTotal)}
	for _, g := range groups[:min(len(groups), maxSummaryGroups)] {
		counts := b.hidden[g.name]
		kinds := make([]string, 0, len(counts))
		for k := range counts {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = fmt.Sprintf("%s %d", k, counts[k])
		}
		lines = append(lines, fmt.Sprintf("  %s: %d (%s)", g.name, g.total, strings.Join(parts, ", ")))
	}
	if rest := len(groups) - maxSummaryGroups; rest > 0 {
		lines = append(lines, fmt.Sprintf("  and %d more kinds and namespaces", rest))
	}
	return lines
}

// kindNamespace is the kind and namespace of an event's object ("Kind
// ns/name" or "Kind name"): "Deployment shop", or the kind alone for a
// cluster-scoped object.
func kindNamespace(object string) string {
	kind, name, ok := strings.Cut(object, " ")
	if !ok {
		return object
	}
	if ns, _, ok := strings.Cut(name, "/"); ok {
		return kind + " " + ns
	}
	return kind
}

// what is how a held-back line is counted: applied with its action
// ("applied configured"), a status with its kstatus status, a Kubernetes
// Event with its reason.
func what(e event.Event) string {
	switch e.Type {
	case event.TypeApplied:
		action, _, _ := strings.Cut(e.Message, ":")
		return "applied " + action
	case event.TypeStatus:
		st, _ := e.Data.(event.ObjectStatus)
		return "status " + st.Status
	case event.TypeKubeEvent:
		ke, _ := e.Data.(event.KubeEvent)
		return "event " + ke.Reason
	}
	return string(e.Type)
}
