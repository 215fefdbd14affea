// Package event defines the typed stream of events a release emits. The
// terminal view, the JSON output and the evidence bundle all consume this
// one stream.
package event

import "time"

// Stage is a stage of the workflow.
type Stage string

// The stages, in order, plus Rollback.
const (
	StagePlan      Stage = "plan"
	StagePrepare   Stage = "prepare"
	StageRollout   Stage = "rollout"
	StageVerify    Stage = "verify"
	StageStabilize Stage = "stabilize"
	StageRollback  Stage = "rollback"
)

// Type says what an event reports.
type Type string

// Event types.
const (
	TypeStageStarted  Type = "stage.started"
	TypeStageFinished Type = "stage.finished"
	TypeApplied       Type = "object.applied"   // an object was created/configured/unchanged/pruned
	TypeStatus        Type = "object.status"    // a kstatus transition of an object
	TypeKubeEvent     Type = "kube.event"       // a Kubernetes Event about a release object
	TypeFailure       Type = "detector.failure" // the failure detector found a reason to abort
	TypeSmoke         Type = "smoke.result"
	TypeGate          Type = "gate.measurement"
	TypeDecision      Type = "decision" // a decision of the executor: abort, rollback, verdict
	TypeLog           Type = "log"
)

// Event is one timestamped observation or decision.
type Event struct {
	Time    time.Time `json:"time"`
	Stage   Stage     `json:"stage"`
	Type    Type      `json:"type"`
	Object  string    `json:"object,omitempty"` // "Deployment shop/web"
	Message string    `json:"message"`
	// Data is the typed payload (a gate measurement, a smoke result, ...).
	Data any `json:"data,omitempty"`
}

// Sink receives events. Implementations must be safe for concurrent use.
type Sink interface {
	Emit(Event)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

// Emit calls f(e).
func (f SinkFunc) Emit(e Event) { f(e) }

// Discard is a Sink that drops every event.
var Discard Sink = SinkFunc(func(Event) {})
