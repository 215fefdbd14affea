package event

import (
	"time"

	"github.com/kship/kship/internal/manifest"
)

// ObjectStatus is a kstatus transition of one release object (the payload
// of TypeStatus).
type ObjectStatus struct {
	Ref manifest.Ref `json:"ref"`
	// Status is the kstatus status: InProgress, Current, Failed, ...
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
	// Reason is the machine-readable reason of a Failed or InProgress
	// status (ProgressDeadlineExceeded), when kstatus gives one.
	Reason string `json:"reason,omitempty"`
}

// EventType is TypeStatus.
func (ObjectStatus) EventType() Type { return TypeStatus }

// KubeEvent is a Kubernetes Event about a release object or its pods,
// ReplicaSets or Jobs (the payload of TypeKubeEvent).
type KubeEvent struct {
	// Object is the release object the Event concerns.
	Object manifest.Ref `json:"object"`
	// Involved is the object the Event names ("Pod web-6d4f-x2x").
	Involved string `json:"involved"`
	Reason   string `json:"reason"`
	Message  string `json:"message"`
	Count    int32  `json:"count"`
}

// EventType is TypeKubeEvent.
func (KubeEvent) EventType() Type { return TypeKubeEvent }

// GateReading is what a view shows of one gate evaluation: the chart
// point, the live block's line.
type GateReading struct {
	Gate  string    `json:"gate"`
	Query string    `json:"query"`
	Time  time.Time `json:"time"`
	// Value is the deciding value; nil when there was no data.
	Value     *float64 `json:"value,omitempty"`
	Threshold string   `json:"threshold"`
	// Verdict is pass, fail, inconclusive or error; empty for a baseline.
	Verdict string `json:"verdict,omitempty"`
	// Baseline marks the measurement taken before the rollout.
	Baseline bool `json:"baseline,omitempty"`
	// Window is the span of samples the evaluation read, placed against
	// the rollout; nil when it was not placed (a baseline).
	Window *GateWindow `json:"window,omitempty"`
}

// GateWindow is the span [From, To] of samples one evaluation read, when
// the rollout it judges was done and the first time a window held only
// samples scraped after it (HonestFrom).
type GateWindow struct {
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	RolloutDone time.Time `json:"rolloutDone"`
	HonestFrom  time.Time `json:"honestFrom"`
	PostRollout bool      `json:"postRollout"`
}

// GatePayload is the payload of TypeGate (gate.Measurement): views read
// it as a GateReading.
type GatePayload interface {
	Payload
	GateReading() GateReading
}
