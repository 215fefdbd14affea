package evidence

import (
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/event"
)

// provenanceHTML is the report's table of who, what tool, which cluster,
// which source, and the images before and after.
func provenanceHTML(p *Provenance) string {
	if p == nil {
		return ""
	}
	var s strings.Builder
	s.WriteString("<h2>Provenance</h2><table>")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&s, "<tr><th>%s</th><td><code>%s</code></td></tr>", esc(k), esc(v))
		}
	}
	row("run by", p.User+"@"+p.Host)
	row("kship", p.KshipVersion)
	cluster := p.Context
	if p.Server != "" {
		cluster += " (" + p.Server + ")"
	}
	row("cluster", strings.TrimSpace(cluster))
	row("Kubernetes", p.KubernetesVersion)
	row("release file", p.ReleaseFileDigest)
	row("rendered objects", p.ObjectsDigest)
	row("source commit", commitCell(p.Source))
	row("release file commit", commitCell(p.ReleaseFileSource))
	s.WriteString("</table>")
	if len(p.Images) > 0 {
		s.WriteString("<h2>Images</h2><table><tr><th>object</th><th>container</th><th>before</th><th>after</th></tr>")
		for _, c := range p.Images {
			cls := ""
			if c.Changed() {
				cls = ` class="changed"`
			}
			fmt.Fprintf(&s, "<tr%s><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", cls, esc(c.Object), esc(c.Container),
				imageCell(c.Before, c.BeforeDigest), imageCell(c.After, c.AfterDigest))
		}
		s.WriteString("</table>")
	}
	return s.String()
}

// commitCell is a commit as the report shows it ("" for none).
func commitCell(src *GitSource) string {
	if src == nil {
		return ""
	}
	v := src.Commit
	if src.Branch != "" {
		v += " on " + src.Branch
	}
	if src.Dirty {
		v += " with changes not committed"
	}
	return v
}

func imageCell(image, digest string) string {
	switch {
	case image == "":
		return "—"
	case digest == "":
		return "<code>" + esc(image) + "</code> (tag, not pinned)"
	}
	return "<code>" + esc(image) + "</code>"
}

// eventGroup is a run of the same event (stage, type, object, message;
// for a Kubernetes Event its object and reason), shown once with its count
// and its last time.
type eventGroup struct {
	first event.Event
	last  time.Time
	count int
	// varied is set when the group's messages differ (a Kubernetes Event
	// of one reason naming other pods or addresses each time).
	varied bool
}

// groupEvents folds repeated events into one row each, in the order of
// their first occurrence: a watch that reports the same condition fifty
// times is one row saying 50×, and Kubernetes Events of one object and
// reason are one row whatever their messages (FailedToUpdateEndpointSlices
// lists other addresses each time), as the terminal shows the first of
// each; evidence.json keeps every one.
func groupEvents(events []event.Event) []eventGroup {
	type key struct {
		stage           event.Stage
		typ             event.Type
		object, message string
	}
	index := map[key]int{}
	var out []eventGroup
	for _, e := range events {
		k := key{e.Stage, e.Type, e.Object, e.Message}
		if ke, ok := e.Data.(event.KubeEvent); ok && ke.Reason != "" {
			k.message = "reason " + ke.Reason
		}
		if i, ok := index[k]; ok {
			out[i].count++
			out[i].last = e.Time
			out[i].varied = out[i].varied || e.Message != out[i].first.Message
			continue
		}
		index[k] = len(out)
		out = append(out, eventGroup{first: e, last: e.Time, count: 1})
	}
	return out
}

// reportObjectRows bounds the rows of the report's events table that are
// about the release's objects one by one (applied, status transitions,
// Kubernetes Events): a release of 100,000 objects would otherwise have
// hundreds of thousands of rows. Every other row (stages, failures, smoke
// checks, gates, decisions) is always shown.
const reportObjectRows = 500

// omittedRows counts the rows of one event type the report left out.
type omittedRows struct {
	typ   event.Type
	count int
}

// reportRows keeps every row but the per-object ones beyond max, and
// counts those it leaves out per type, in the order first left out.
func reportRows(groups []eventGroup, max int) ([]eventGroup, []omittedRows) {
	var rows []eventGroup
	var omitted []omittedRows
	index := map[event.Type]int{}
	perObject := 0
	for _, g := range groups {
		switch g.first.Type {
		case event.TypeApplied, event.TypeStatus, event.TypeKubeEvent:
			if perObject++; perObject > max {
				i, ok := index[g.first.Type]
				if !ok {
					i = len(omitted)
					index[g.first.Type] = i
					omitted = append(omitted, omittedRows{typ: g.first.Type})
				}
				omitted[i].count++
				continue
			}
		}
		rows = append(rows, g)
	}
	return rows, omitted
}
