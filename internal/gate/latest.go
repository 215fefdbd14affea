package gate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kship/kship/internal/event"
)

// NotPassed names the gates whose latest evaluation (by gate name) did
// not pass, and why: "gate NAME: message" sorted by name, joined by "; ";
// "" when every one passed. A strategy's analysis says it when it ends
// inconclusive.
func NotPassed(latest map[string]Measurement) string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(latest)) {
		if m := latest[n]; m.Verdict != Pass {
			parts = append(parts, fmt.Sprintf("gate %s: %s", n, m.Message))
		}
	}
	return strings.Join(parts, "; ")
}

// StepGates are the latest evaluations (by gate name) as the gates of a
// strategy's step (event.StepGate), sorted by name.
func StepGates(latest map[string]Measurement) []event.StepGate {
	var out []event.StepGate
	for _, n := range slices.Sorted(maps.Keys(latest)) {
		m := latest[n]
		out = append(out, event.StepGate{Gate: n, Value: m.Value, Verdict: string(m.Verdict)})
	}
	return out
}
