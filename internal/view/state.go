package view

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kship/kship/internal/event"
)

// state is what the live block shows: the current stage, each object's
// readiness and each gate's latest value.
type state struct {
	stage   event.Stage
	objects map[string]string // object -> status
	gates   map[string]string // gate -> "0.012 <= 0.05 pass"
}

func newState() state {
	return state{objects: map[string]string{}, gates: map[string]string{}}
}

// apply folds one event into the state.
func (s *state) apply(e event.Event) {
	if e.Stage != "" {
		s.stage = e.Stage
	}
	switch e.Type {
	case event.TypeStatus:
		s.objects[e.Object] = statusOf(e)
	case event.TypeGate:
		g, ok := e.Data.(event.GatePayload)
		if !ok {
			return
		}
		m := g.GateReading()
		if m.Gate == "" {
			return
		}
		val := "no data"
		if m.Value != nil {
			val = fmt.Sprintf("%.4g", *m.Value)
		}
		s.gates[m.Gate] = strings.TrimSpace(fmt.Sprintf("%s (%s) %s", val, m.Threshold, m.Verdict))
	}
}

// statusOf reads the kstatus status of an object.status event.
func statusOf(e event.Event) string {
	if st, ok := e.Data.(event.ObjectStatus); ok && st.Status != "" {
		return st.Status
	}
	return e.Message
}

// render draws the block: one line for stage and readiness, one per gate.
func (s *state) render(elapsed time.Duration) string {
	ready, waiting := 0, []string{}
	for obj, st := range s.objects {
		if st == "Current" {
			ready++
		} else {
			waiting = append(waiting, obj+" "+st)
		}
	}
	sort.Strings(waiting)
	line := fmt.Sprintf("\x1b[1m[%s %s]\x1b[0m objects ready %d/%d", s.stage, elapsed.Round(time.Second), ready, len(s.objects))
	if len(waiting) > 0 {
		w := waiting[0]
		if len(waiting) > 1 {
			w += fmt.Sprintf(" (+%d more)", len(waiting)-1)
		}
		line += " · waiting: " + w
	}
	out := line + "\n"
	names := make([]string, 0, len(s.gates))
	for n := range s.gates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out += fmt.Sprintf("  gate %s: %s\n", n, s.gates[n])
	}
	return out
}
