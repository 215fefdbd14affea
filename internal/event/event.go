// Package event defines the typed stream of events a release emits. The
// terminal view, the JSON output and the evidence bundle all consume this
// one stream.
//
// Every event has a Type, and an event of a type with data carries exactly
// one payload type (see Payload): the stage that observed something owns
// its payload type (apply.Change, status.Failure, smoke.Result,
// gate.Measurement, evidence.PlanWritten, evidence.ChecksWritten); the
// executor's own vocabulary lives here (ObjectStatus, KubeEvent).
// A view reads a stage's payload only through what this package defines
// (GatePayload), so no view imports a stage.
package event

import (
	"encoding/json"
	"time"
)

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

// Event types, each with its payload type (none: the message says it all).
const (
	TypeStageStarted  Type = "stage.started"       // none
	TypeStageFinished Type = "stage.finished"      // none
	TypePlan          Type = "plan.written"        // evidence.PlanWritten: the plan, and the folder it was written to
	TypeChecks        Type = "checks.written"      // evidence.ChecksWritten: every prepare check, and the folder
	TypeApplied       Type = "object.applied"      // apply.Change: created/configured/unchanged/pruned
	TypeStatus        Type = "object.status"       // ObjectStatus: a kstatus transition of an object
	TypeKubeEvent     Type = "kube.event"          // KubeEvent: a Kubernetes Event about a release object
	TypeFailure       Type = "detector.failure"    // status.Failure: the failure detector found a reason to abort
	TypeDetectorBlind Type = "detector.blind"      // wait.Blind: a stretch without a working watch began or ended
	TypeReobserved    Type = "detector.reobserved" // wait.Reobservation: what a fresh list found after a blind stretch
	TypeSmoke         Type = "smoke.result"        // smoke.Result
	TypeGate          Type = "gate.measurement"    // gate.Measurement (a GatePayload)
	TypeGatePlaced    Type = "gate.placed"         // gate.Placed: the new pods' scrape interval, when windows start
	TypeGateWait      Type = "gate.wait"           // gate.Wait: how long a gate waits for a window wholly after the rollout, and why
	TypeHelm          Type = "helm.operation"      // helm.Operation: a Helm install, upgrade, rollback or recovery, its revision and hooks
	TypeGitCommit     Type = "git.commit"          // gitops.Commit: a commit or revert kship pushed, its SHA and parent
	TypeGitOps        Type = "gitops.status"       // gitops.Observation: a changed condition of the Flux or Argo CD object applying a commit
	TypeCanary        Type = "canary.step"         // canary.Step, Analysis, Comparison, Ending, Revert: a canary step reached or left (weight, pods, traffic share), an analysis' result, a comparison with stable, the promotion or abort, the switch back to the previous pods
	TypeBlueGreen     Type = "bluegreen.switch"    // bluegreen.Switch: the active Service switched to the new color, or back
	TypeBlueGreenStep Type = "bluegreen.step"      // bluegreen.Phase: the preview ready, an analysis' result, the old color removed
	TypeDecision      Type = "decision"            // none: abort, rollback, verdict
	TypeLog           Type = "log"                 // none
)

// Event is one timestamped observation or decision.
type Event struct {
	Time    time.Time `json:"time"`
	Stage   Stage     `json:"stage"`
	Type    Type      `json:"type"`
	Object  string    `json:"object,omitempty"` // "Deployment shop/web"
	Message string    `json:"message"`
	// Data is the event's typed payload; nil for types without one.
	Data Payload `json:"data,omitempty"`
}

// Payload is the typed data of an event. Each payload type names the one
// event Type it is the data of.
type Payload interface {
	EventType() Type
}

// Raw is a payload read back from JSON (evidence.json) whose type this
// package does not define: its JSON, undecoded.
type Raw json.RawMessage

// EventType is unknown for a payload read back as JSON.
func (Raw) EventType() Type { return "" }

// MarshalJSON writes the JSON as it was read.
func (r Raw) MarshalJSON() ([]byte, error) { return json.RawMessage(r).MarshalJSON() }

// UnmarshalJSON reads an event back: payloads of the types this package
// defines are decoded into them, the others kept as Raw.
func (e *Event) UnmarshalJSON(data []byte) error {
	type plain Event
	var wire struct {
		plain
		Data json.RawMessage `json:"data,omitempty"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*e = Event(wire.plain)
	if len(wire.Data) == 0 || string(wire.Data) == "null" {
		return nil
	}
	p, err := decodePayload(e.Type, wire.Data)
	e.Data = p
	return err
}

func decodePayload(t Type, data json.RawMessage) (Payload, error) {
	switch t {
	case TypeStatus:
		return decodeAs[ObjectStatus](data)
	case TypeKubeEvent:
		return decodeAs[KubeEvent](data)
	}
	return Raw(append([]byte(nil), data...)), nil
}

func decodeAs[T Payload](data json.RawMessage) (Payload, error) {
	var v T
	err := json.Unmarshal(data, &v)
	return v, err
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
