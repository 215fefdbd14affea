package gate

import "github.com/kship/kship/internal/event"

// EventType is event.TypeGate: a Measurement is the payload of its
// gate.measurement event.
func (Measurement) EventType() event.Type { return event.TypeGate }

// GateReading is what a view shows of m (m is an event.GatePayload).
func (m Measurement) GateReading() event.GateReading {
	r := event.GateReading{Gate: m.Gate, Query: m.Query, Time: m.Time, Value: m.Value,
		Threshold: m.Threshold, Verdict: string(m.Verdict), Baseline: m.IsBaseline}
	if w := m.Window; w != nil {
		r.Window = &event.GateWindow{From: w.From, To: w.To, RolloutDone: w.RolloutDone, HonestFrom: w.HonestFrom, PostRollout: w.PostRollout}
	}
	return r
}

// EventType is event.TypeGateWait: a Wait is the payload of its
// gate.wait event.
func (Wait) EventType() event.Type { return event.TypeGateWait }

// EventType is event.TypeGatePlaced: a Placed is the payload of its
// gate.placed event.
func (Placed) EventType() event.Type { return event.TypeGatePlaced }
