// Package view renders the event stream of a release for a person or a
// program: a live block redrawn on a terminal, plain timestamped lines
// without one, or JSON lines with -o json. All three consume the same
// event.Sink stream the evidence is recorded from.
package view

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kship/kship/internal/event"
)

// Mode is how events are rendered.
type Mode int

// Modes.
const (
	// Plain prints one timestamped line per event (CI logs, pipes).
	Plain Mode = iota
	// Live prints the lines and keeps a status block redrawn at the bottom
	// of a terminal: stage, objects ready, the latest gate values.
	Live
	// JSON prints one JSON object per event, then the outcome.
	JSON
)

// ModeFor picks the mode for an output format ("human" or "json") and a
// writer: Live when the writer is a terminal.
func ModeFor(output string, w io.Writer) Mode {
	if output == "json" {
		return JSON
	}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb" {
			return Live
		}
	}
	return Plain
}

// View is an event.Sink that renders events to a writer.
type View struct {
	w     io.Writer
	mode  Mode
	start time.Time

	mu    sync.Mutex
	state state
	// footer is how many lines of status block are on screen.
	footer int
	// shown counts Kubernetes Events by object and reason: a screen shows
	// the first of each, evidence.json keeps them all.
	shown map[string]int
	// bound is what each stage shows and holds back of its lines about
	// single objects (bound.go); last is the latest event's time.
	bound map[event.Stage]*objectLines
	last  time.Time
	// lastDecision is the message of the last line printed when that line
	// was a decision ("" otherwise): Summary does not repeat it.
	lastDecision string
}

// New returns a View writing to w in mode; start is the run's start time
// (plain lines show the time since it).
func New(w io.Writer, mode Mode, start time.Time) *View {
	return &View{w: w, mode: mode, start: start, state: newState(), shown: map[string]int{}, bound: map[event.Stage]*objectLines{}}
}

// Emit renders one event.
func (v *View) Emit(e event.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch v.mode {
	case JSON:
		v.writeJSON(map[string]any{"event": e})
	case Live:
		v.state.apply(e)
		v.clearFooter()
		v.print(e)
		v.drawFooter()
	default:
		v.print(e)
	}
}

// print writes e's line, after what its stage held back when e ends it.
func (v *View) print(e event.Event) {
	v.last = e.Time
	if e.Type == event.TypeStageFinished {
		for _, l := range v.summary(e.Stage) {
			fmt.Fprintln(v.w, v.format(e.Time, e.Stage, l))
		}
	}
	if line := v.line(e); line != "" {
		fmt.Fprintln(v.w, line)
		v.lastDecision = ""
		if e.Type == event.TypeDecision {
			v.lastDecision = e.Message
		}
	}
}

// Result writes the final result: the outcome as the last JSON line, or
// the human summary text.
func (v *View) Result(outcome any, summary string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.mode == JSON {
		v.writeJSON(map[string]any{"outcome": outcome})
		return
	}
	v.clearFooter()
	stages := make([]string, 0, len(v.bound))
	for st := range v.bound {
		stages = append(stages, string(st))
	}
	sort.Strings(stages)
	for _, st := range stages {
		for _, l := range v.summary(event.Stage(st)) {
			fmt.Fprintln(v.w, v.format(v.last, event.Stage(st), l))
		}
	}
	fmt.Fprint(v.w, summary)
}

func (v *View) writeJSON(x any) {
	b, err := json.Marshal(x)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	fmt.Fprintln(v.w, string(b))
}

// line is the one-line rendering of an event; empty for events that are
// noise on a screen (object status transitions feed the live block only).
func (v *View) line(e event.Event) string {
	if v.mode == Live && e.Type == event.TypeStatus {
		return ""
	}
	if e.Type == event.TypeKubeEvent && v.repeated(e) {
		return ""
	}
	if perObject(e) && !v.admit(e) {
		return ""
	}
	msg := e.Message
	if e.Object != "" && !strings.HasPrefix(msg, e.Object) {
		msg = e.Object + ": " + msg
	}
	mark := ""
	switch e.Type {
	case event.TypeStageStarted:
		mark = "▶ "
	case event.TypeStageFinished:
		mark = "■ "
	case event.TypeFailure:
		mark = "✗ "
	case event.TypeDecision:
		mark = "→ "
	}
	return v.format(e.Time, e.Stage, mark+msg)
}

// format is one line: the time (plain lines: also the clock), the stage,
// the message.
func (v *View) format(t time.Time, stage event.Stage, msg string) string {
	at := t.Sub(v.start).Round(100 * time.Millisecond)
	if v.mode == Plain {
		return fmt.Sprintf("%s +%-7s %-9s %s", t.UTC().Format("15:04:05.000"), at, stage, msg)
	}
	return fmt.Sprintf("+%-7s %-9s %s", at, stage, msg)
}

// repeated reports whether a Kubernetes Event with the same object and
// reason was already shown.
func (v *View) repeated(e event.Event) bool {
	key := e.Object
	if ke, ok := e.Data.(event.KubeEvent); ok {
		key += " " + ke.Reason
	}
	v.shown[key]++
	return v.shown[key] > 1
}

// clearFooter erases the status block (ANSI: cursor up, erase line).
func (v *View) clearFooter() {
	fmt.Fprint(v.w, strings.Repeat("\x1b[1A\x1b[2K", v.footer))
	v.footer = 0
}

// drawFooter prints the status block.
func (v *View) drawFooter() {
	block := v.state.render(time.Since(v.start))
	fmt.Fprint(v.w, block)
	v.footer = strings.Count(block, "\n")
}

// Tick redraws the live block every second (so the elapsed time moves while
// nothing happens, e.g. in a stabilize window) until the returned function
// is called. It does nothing in the other modes.
func (v *View) Tick() (stop func()) {
	if v.mode != Live {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				v.mu.Lock()
				if v.footer > 0 {
					v.clearFooter()
					v.drawFooter()
				}
				v.mu.Unlock()
			}
		}
	}()
	return func() { close(done); <-finished }
}
