package evidence

import (
	"fmt"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kship/kship/internal/event"
)

// ReportHTML renders report.html: the summary, a timeline of the stages and
// decisions, one chart per metric gate and the full event list. It is one
// self-contained file: inline CSS and SVG, no scripts, no external assets.
func ReportHTML(b *Bundle) string {
	var s strings.Builder
	s.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">")
	fmt.Fprintf(&s, "<title>kship %s revision %d</title>", esc(b.Release), b.Revision)
	s.WriteString(`<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}.fail{color:#b00}.pass{color:#070}code{background:#f4f4f4}</style></head><body>`)
	fmt.Fprintf(&s, "<h1>%s revision %d: %s (exit %d)</h1>", esc(b.Release), b.Revision, esc(string(b.Verdict)), b.ExitCode)
	fmt.Fprintf(&s, "<p>%s</p><p>Namespace <code>%s</code>, %s → %s (%s).</p>", esc(b.Summary), esc(b.Namespace),
		b.StartedAt.UTC().Format(time.RFC3339), b.FinishedAt.UTC().Format(time.RFC3339), b.FinishedAt.Sub(b.StartedAt).Round(time.Millisecond))
	if b.Trigger != "" {
		fmt.Fprintf(&s, "<p class=\"fail\">Trigger: %s</p>", esc(b.Trigger))
	}
	s.WriteString(provenanceHTML(b.Provenance))
	if len(b.Checked) > 0 {
		s.WriteString("<h2>Checked</h2><ul>")
		for _, c := range b.Checked {
			fmt.Fprintf(&s, "<li>%s</li>", esc(c))
		}
		s.WriteString("</ul>")
	}
	s.WriteString("<h2>Timeline</h2>")
	rows := steps(b.Events)
	s.WriteString(timelineSVG(b, rows))
	if len(rows) > 0 {
		s.WriteString(stepsTable(b, rows))
	}
	for _, series := range gateSeries(b.Events) {
		fmt.Fprintf(&s, "<h2>Gate %s</h2><p><code>%s</code> threshold %s</p>", esc(series.name), esc(series.query), esc(series.threshold))
		s.WriteString(gateSVG(b, series))
	}
	s.WriteString("<h2>Events</h2><table><tr><th>time</th><th>stage</th><th>type</th><th>object</th><th>message</th><th>times</th></tr>")
	eventRows, omitted := reportRows(groupEvents(b.Events), reportObjectRows)
	for _, g := range eventRows {
		e := g.first
		cls := ""
		if e.Type == event.TypeFailure {
			cls = ` class="fail"`
		}
		times := ""
		if g.count > 1 {
			times = fmt.Sprintf("%d× until +%s", g.count, g.last.Sub(b.StartedAt).Round(time.Millisecond))
			if g.varied {
				times += " (the first message shown; each is in " + EvidenceFile + ")"
			}
		}
		fmt.Fprintf(&s, "<tr%s><td>+%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", cls,
			e.Time.Sub(b.StartedAt).Round(time.Millisecond), esc(string(e.Stage)), esc(string(e.Type)), esc(e.Object), esc(e.Message), times)
	}
	s.WriteString("</table>")
	if len(omitted) > 0 {
		s.WriteString("<p>Not shown, per type: ")
		for i, o := range omitted {
			if i > 0 {
				s.WriteString(", ")
			}
			fmt.Fprintf(&s, "%d <code>%s</code>", o.count, esc(string(o.typ)))
		}
		fmt.Fprintf(&s, " rows of the release's objects, beyond the first %d; every event is in %s.</p>", reportObjectRows, EvidenceFile)
	}
	s.WriteString("</body></html>\n")
	return s.String()
}

func esc(s string) string { return html.EscapeString(s) }

const (
	svgW, svgH, svgPad = 900.0, 180.0, 40.0
)

var stageColor = map[event.Stage]string{
	event.StagePlan: "#ccd", event.StagePrepare: "#bcd", event.StageRollout: "#9cf",
	event.StageVerify: "#9d9", event.StageStabilize: "#cfc", event.StageRollback: "#f99",
}

// xOf maps a time to the x coordinate of a chart spanning the attempt.
func xOf(b *Bundle, t time.Time) float64 {
	span := b.FinishedAt.Sub(b.StartedAt).Seconds()
	if span <= 0 {
		span = 1
	}
	x := svgPad + (svgW-2*svgPad)*t.Sub(b.StartedAt).Seconds()/span
	return clamp(x, svgPad, svgW-svgPad)
}

func clamp(v, lo, hi float64) float64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// stageRow is each stage's row in the timeline, in workflow order.
var stageRow = map[event.Stage]int{
	event.StagePlan: 0, event.StagePrepare: 1, event.StageRollout: 2,
	event.StageVerify: 3, event.StageStabilize: 4, event.StageRollback: 5,
}

// timelineSVG draws one band per stage, each stage on its own row in
// workflow order, the steps of a canary or blue-green release on lanes
// below them, and a mark per failure or decision below those.
func timelineSVG(b *Bundle, rows []stepRow) string {
	lanes, lh := stepLanes(b, rows, 154)
	if lh > 0 {
		lanes = `<text x="2" y="166" font-size="11">steps</text>` + lanes
		lh += 6
	}
	height := 225.0 + lh
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f">`, svgW, height)
	s.WriteString(lanes)
	starts := map[event.Stage]time.Time{}
	for _, e := range b.Events {
		switch e.Type {
		case event.TypeStageStarted:
			starts[e.Stage] = e.Time
		case event.TypeStageFinished:
			st, ok := starts[e.Stage]
			if !ok {
				continue
			}
			x0, x1 := xOf(b, st), xOf(b, e.Time)
			y := 20 + float64(stageRow[e.Stage])*22
			fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="18" fill="%s"><title>%s %s</title></rect>`,
				x0, y, maxf(x1-x0, 2), stageColor[e.Stage], esc(string(e.Stage)), esc(e.Message))
			fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" font-size="11">%s</text>`, x0+2, y+13, esc(string(e.Stage)))
			delete(starts, e.Stage)
		case event.TypeFailure, event.TypeDecision:
			x := xOf(b, e.Time)
			color := "#333"
			if e.Type == event.TypeFailure {
				color = "#c00"
			}
			fmt.Fprintf(&s, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="%s" stroke-width="2"><title>%s</title></line>`, x, 158+lh, x, 198+lh, color, esc(e.Message))
		}
	}
	fmt.Fprintf(&s, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#999"/>`, svgPad, 203+lh, svgW-svgPad, 203+lh)
	fmt.Fprintf(&s, `<text x="%.0f" y="%.0f" font-size="11">0s</text><text x="%.0f" y="%.0f" font-size="11" text-anchor="end">%s</text>`,
		svgPad, 220+lh, svgW-svgPad, 220+lh, b.FinishedAt.Sub(b.StartedAt).Round(time.Second))
	s.WriteString("</svg>")
	return s.String()
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// gatePoint is one measurement of a gate, read back from an event.
type gatePoint struct {
	at      time.Time
	value   *float64
	verdict string
	// window is the span of samples the evaluation read, nil when not placed.
	window   *event.GateWindow
	baseline bool
}

type series struct {
	name, query, threshold string
	points                 []gatePoint
}

// gateSeries groups the gate measurement events by gate name, reading
// each payload as an event.GatePayload.
func gateSeries(events []event.Event) []series {
	byName := map[string]*series{}
	var names []string
	for _, e := range events {
		g, ok := e.Data.(event.GatePayload)
		if e.Type != event.TypeGate || !ok {
			continue
		}
		m := g.GateReading()
		if m.Gate == "" {
			continue
		}
		sr, ok := byName[m.Gate]
		if !ok {
			sr = &series{name: m.Gate}
			byName[m.Gate] = sr
			names = append(names, m.Gate)
		}
		sr.query, sr.threshold = m.Query, m.Threshold
		p := gatePoint{at: e.Time, value: m.Value, verdict: m.Verdict, window: m.Window, baseline: m.Baseline}
		if !m.Time.IsZero() {
			p.at = m.Time
		}
		sr.points = append(sr.points, p)
	}
	sort.Strings(names)
	out := make([]series, 0, len(names))
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return out
}

var numberRe = regexp.MustCompile(`[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?`)

// gateSVG draws a gate's values over time, a dashed line at its threshold,
// the window of samples each evaluation read (a bar from its start to the
// point), when the rollout it judged was done and from when its windows
// held only samples scraped after it, and a time axis; failed
// measurements are red.
func gateSVG(b *Bundle, sr series) string {
	lo, hi := 0.0, 0.0
	var th *float64
	if m := numberRe.FindString(sr.threshold); m != "" {
		if v, err := strconv.ParseFloat(m, 64); err == nil {
			th = &v
			hi = v
		}
	}
	for _, p := range sr.points {
		if p.value != nil {
			lo, hi = minf(lo, *p.value), maxf(hi, *p.value)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	const height = svgH + 40
	yOf := func(v float64) float64 { return svgH - svgPad - (svgH-2*svgPad)*(v-lo)/(hi-lo) }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f">`, svgW, height)
	fmt.Fprintf(&s, `<text x="2" y="%.1f" font-size="11">%s</text><text x="2" y="%.1f" font-size="11">%s</text>`,
		yOf(hi)+4, fmtNum(hi), yOf(lo), fmtNum(lo))
	if th != nil {
		fmt.Fprintf(&s, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#c00" stroke-dasharray="4 3"/>`, svgPad, yOf(*th), svgW-svgPad, yOf(*th))
	}
	s.WriteString(rolloutMarks(b, sr))
	var path []string
	for _, p := range sr.points {
		if p.value == nil {
			fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" font-size="11" fill="#888">no data</text>`, xOf(b, p.at), svgH-svgPad+14)
			continue
		}
		x, y := xOf(b, p.at), yOf(*p.value)
		if w := p.window; w != nil {
			fmt.Fprintf(&s, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#9bd" stroke-width="3" opacity="0.6"><title>window %s to %s</title></line>`,
				xOf(b, w.From), y, x, y, w.From.UTC().Format("15:04:05"), w.To.UTC().Format("15:04:05"))
		}
		path = append(path, fmt.Sprintf("%.1f,%.1f", x, y))
		color, verdict := "#070", p.verdict
		switch {
		case p.baseline:
			color, verdict = "#888", "baseline, before the rollout"
		case p.verdict != "pass":
			color = "#c00"
		}
		fmt.Fprintf(&s, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s %s: %s</title></circle>`, x, y, color,
			p.at.UTC().Format("15:04:05"), fmtNum(*p.value), esc(verdict))
	}
	if len(path) > 1 {
		fmt.Fprintf(&s, `<polyline fill="none" stroke="#36c" points="%s"/>`, strings.Join(path, " "))
	}
	s.WriteString(timeAxis(b, svgH))
	s.WriteString("</svg>")
	return s.String()
}

// rolloutMarks draws, for each rollout the gate's evaluations judged (the
// release's, a rollback's), a line when it was done and one from when the
// gate's windows held only samples scraped after it.
func rolloutMarks(b *Bundle, sr series) string {
	var s strings.Builder
	seen := map[time.Time]bool{}
	for _, p := range sr.points {
		w := p.window
		if w == nil || seen[w.RolloutDone] {
			continue
		}
		// each rollout's labels on their own line, so a rollback's do
		// not overwrite the release's
		ly := svgPad/2 + 8 + 10*float64(len(seen))
		seen[w.RolloutDone] = true
		x0, x1 := xOf(b, w.RolloutDone), xOf(b, w.HonestFrom)
		fmt.Fprintf(&s, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#555"><title>rollout done %s</title></line>`,
			x0, svgPad/2, x0, svgH-svgPad, w.RolloutDone.UTC().Format("15:04:05"))
		fmt.Fprintf(&s, `<text x="%.1f" y="%.0f" font-size="10" text-anchor="end">rollout done</text>`, x0-2, ly)
		fmt.Fprintf(&s, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#070" stroke-dasharray="2 2"><title>honest from %s</title></line>`,
			x1, svgPad/2, x1, svgH-svgPad, w.HonestFrom.UTC().Format("15:04:05"))
		fmt.Fprintf(&s, `<text x="%.1f" y="%.0f" font-size="10" fill="#070">honest from</text>`, x1+2, ly)
	}
	return s.String()
}

// timeAxis draws the attempt's time axis at y: a line and six ticks, each
// labelled with the time since the attempt started.
func timeAxis(b *Bundle, y float64) string {
	var s strings.Builder
	fmt.Fprintf(&s, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#999"/>`, svgPad, y, svgW-svgPad, y)
	span := b.FinishedAt.Sub(b.StartedAt)
	for i := 0; i <= 5; i++ {
		t := b.StartedAt.Add(span * time.Duration(i) / 5)
		x := xOf(b, t)
		fmt.Fprintf(&s, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#999"/><text x="%.1f" y="%.0f" font-size="10" text-anchor="middle">+%s</text>`,
			x, y, x, y+4, x, y+16, t.Sub(b.StartedAt).Round(time.Second))
	}
	return s.String()
}

func minf(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
