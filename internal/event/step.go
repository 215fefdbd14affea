package event

import "time"

// StepReading is what a view shows of one step of a progressive strategy
// (a canary weight held, an analysis, a blue-green preview, switch or
// removal): its row in report.html's steps table and its band on the
// timeline.
type StepReading struct {
	// Strategy is the release file's strategy type (Canary, BlueGreen).
	Strategy string `json:"strategy"`
	// Key identifies the step within the run: readings with the same key
	// are one step, a later one (left, finished) replacing an earlier one
	// (reached, started).
	Key string `json:"key"`
	// Step is the 1-based index of the step in the release file; 0 when
	// the step is not one of the file's (a switch, a removal).
	Step int `json:"step,omitempty"`
	// Name says what the step is ("setWeight 25%", "analysis",
	// "preview", "switch", "old color removed").
	Name string `json:"name"`
	// From and To are the span the step lasted; To is zero while it runs
	// and equal to From for an instant.
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
	// Weight is the share of traffic requested, nil when the step
	// requests none.
	Weight *int `json:"weight,omitempty"`
	// Pods says which pods ran ("1 canary + 3 stable (25% of ready
	// pods)"); empty when the step does not change them.
	Pods string `json:"pods,omitempty"`
	// TrafficShare is the share of requests the new pods answered,
	// measured from Prometheus; nil when not measured (TrafficNote says
	// why, when there is a reason to say).
	TrafficShare *float64 `json:"trafficShare,omitempty"`
	TrafficNote  string   `json:"trafficNote,omitempty"`
	// Gates are the evaluations of an analysis, each gate's latest.
	Gates []StepGate `json:"gates,omitempty"`
	// Verdict is pass, fail or inconclusive for a step that judges;
	// empty for one that does not.
	Verdict string `json:"verdict,omitempty"`
	// Detail says the rest in words.
	Detail string `json:"detail,omitempty"`
}

// StepGate is one gate's latest evaluation in an analysis step.
type StepGate struct {
	Gate string `json:"gate"`
	// Value is nil when there was no data.
	Value   *float64 `json:"value,omitempty"`
	Verdict string   `json:"verdict"`
}

// StepPayload is a payload of TypeCanary or TypeBlueGreen (canary.Step,
// canary.Analysis, bluegreen.Switch, bluegreen.Phase, ...) that is a step
// of the run: views read it as a StepReading.
type StepPayload interface {
	Payload
	StepReading() StepReading
}
