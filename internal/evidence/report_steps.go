package evidence

import (
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/event"
)

// stepRow is one step of a progressive strategy as the report shows it:
// the latest reading of its key, and the stage it ran in.
type stepRow struct {
	stage event.Stage
	event.StepReading
}

// steps are the run's canary and blue-green steps in the order they
// began, each the latest reading of its key (a weight left replaces the
// weight reached).
func steps(events []event.Event) []stepRow {
	var out []stepRow
	at := map[string]int{}
	for _, e := range events {
		p, ok := e.Data.(event.StepPayload)
		if !ok {
			continue
		}
		r := p.StepReading()
		key := string(e.Stage) + "/" + r.Strategy + "/" + r.Key
		if i, seen := at[key]; seen {
			out[i].StepReading = r
			continue
		}
		at[key] = len(out)
		out = append(out, stepRow{stage: e.Stage, StepReading: r})
	}
	return out
}

// end is when the step ended: its To, or the attempt's end for one
// still running when the attempt ended (a paused canary).
func (r stepRow) end(b *Bundle) time.Time {
	if r.To.IsZero() {
		return b.FinishedAt
	}
	return r.To
}

// stepsTable is the steps table: what each step requested, the pods that
// ran, the share of traffic the new pods answered as Prometheus measured
// it, each analysis' gates and verdict.
func stepsTable(b *Bundle, rows []stepRow) string {
	var s strings.Builder
	s.WriteString(`<h2>Steps</h2><style>.steps td{white-space:nowrap}.steps td:last-child{white-space:normal;min-width:20em}</style><table class="steps"><tr><th>at</th><th>step</th><th>weight requested</th><th>pods</th><th>traffic share (Prometheus)</th><th>lasted</th><th>analysis</th><th>detail</th></tr>`)
	for _, r := range rows {
		cls := ""
		switch r.Verdict {
		case "pass":
			cls = ` class="pass"`
		case "":
		default:
			cls = ` class="fail"`
		}
		name := esc(r.Name)
		if r.Step > 0 {
			name = fmt.Sprintf("%d. %s", r.Step, name)
		}
		if r.stage != event.StageRollout {
			name += " (" + esc(string(r.stage)) + ")"
		}
		weight := ""
		if r.Weight != nil {
			weight = fmt.Sprintf("%d%%", *r.Weight)
		}
		share := esc(r.TrafficNote)
		if r.TrafficShare != nil {
			share = fmt.Sprintf("%.1f%%", 100**r.TrafficShare)
			if r.TrafficNote != "" {
				share += " <small>(" + esc(r.TrafficNote) + ")</small>"
			}
		}
		lasted := "running at the end"
		if !r.To.IsZero() {
			lasted = r.To.Sub(r.From).Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(&s, "<tr%s><td>+%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", cls,
			r.From.Sub(b.StartedAt).Round(100*time.Millisecond), name, weight, esc(r.Pods), share, lasted, analysisCell(r.StepReading), esc(r.Detail))
	}
	s.WriteString("</table>")
	return s.String()
}

// analysisCell lists an analysis' gates (value, verdict) and its verdict.
func analysisCell(r event.StepReading) string {
	var parts []string
	for _, g := range r.Gates {
		v := "no data"
		if g.Value != nil {
			v = fmtNum(*g.Value)
		}
		parts = append(parts, fmt.Sprintf("%s = %s: %s", esc(g.Gate), v, esc(g.Verdict)))
	}
	if r.Verdict != "" {
		parts = append(parts, "<b>"+esc(r.Verdict)+"</b>")
	}
	return strings.Join(parts, "<br>")
}

// stepLanes places the steps' bands on lanes below the stages' rows, a
// band on the first lane free at its start (a weight held and the
// analysis run at it share a time, not a lane), and returns the SVG and
// the lanes' height.
func stepLanes(b *Bundle, rows []stepRow, y0 float64) (string, float64) {
	const laneH = 20.0
	var s strings.Builder
	var ends []float64
	for _, r := range rows {
		x0, x1 := xOf(b, r.From), xOf(b, r.end(b))
		w := maxf(x1-x0, 3)
		label := r.Name
		if r.Weight != nil && strings.HasPrefix(r.Name, "setWeight") {
			label = fmt.Sprintf("%d%%", *r.Weight)
		}
		// A label that does not fit in its band is written after it, and
		// the lane is taken up to its end.
		labelW := float64(len(label))*5.5 + 4
		inside := labelW < w
		used := w
		if !inside {
			used = w + labelW
		}
		lane := 0
		for lane < len(ends) && ends[lane] > x0 {
			lane++
		}
		if lane == len(ends) {
			ends = append(ends, 0)
		}
		ends[lane] = x0 + used + 2
		y := y0 + float64(lane)*laneH
		fill := "#adf"
		switch r.Verdict {
		case "pass":
			fill = "#8d8"
		case "":
		default:
			fill = "#e77"
		}
		fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="16" fill="%s" stroke="#567" stroke-width="0.5"><title>%s</title></rect>`,
			x0, y, w, fill, esc(stepTitle(b, r)))
		lx := x0 + 2
		if !inside {
			lx = x0 + w + 2
		}
		fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" font-size="10">%s</text>`, lx, y+12, esc(label))
	}
	return s.String(), float64(len(ends)) * laneH
}

// stepTitle is a band's tooltip: the step, its weight, pods, share and
// verdict.
func stepTitle(b *Bundle, r stepRow) string {
	parts := []string{fmt.Sprintf("%s +%s", r.Name, r.From.Sub(b.StartedAt).Round(100*time.Millisecond))}
	if r.Weight != nil {
		parts = append(parts, fmt.Sprintf("weight %d%%", *r.Weight))
	}
	if r.Pods != "" {
		parts = append(parts, r.Pods)
	}
	if r.TrafficShare != nil {
		parts = append(parts, fmt.Sprintf("measured %.1f%% of requests", 100**r.TrafficShare))
	}
	for _, g := range r.Gates {
		v := "no data"
		if g.Value != nil {
			v = fmtNum(*g.Value)
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", g.Gate, v, g.Verdict))
	}
	if r.Verdict != "" {
		parts = append(parts, r.Verdict)
	}
	return strings.Join(parts, ", ")
}
