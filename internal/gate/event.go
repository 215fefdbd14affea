package gate

import "github.com/kship/kship/internal/event"

// EventType is event.TypeGate: a Measurement is the payload of its
// gate.measurement event.
func (Measurement) EventType() event.Type { return event.TypeGate }

// GateReading is what a view shows of m (m is an event.GatePayload).
func (m Measurement) GateReading() event.GateReading {
	return event.GateReading{Gate: m.Gate, Query: m.Query, Time: m.Time, Value: m.Value,
		Threshold: m.Threshold, Verdict: string(m.Verdict), Baseline: m.IsBaseline}
}
