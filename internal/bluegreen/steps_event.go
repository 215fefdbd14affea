package bluegreen

import (
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
)

// The phases of a blue-green release a Phase reports.
const (
	PhasePreview         = "preview"
	PhasePreviewAnalysis = "preview analysis"
	PhasePostSwitch      = "post-switch analysis"
	PhaseOldRemoved      = "old color removed"
)

// Phase is a step of a blue-green release other than a switch: the new
// color Available behind the preview, an analysis' result on its pods
// (before or after the switch), the old color removed (the payload of
// event.TypeBlueGreenStep).
type Phase struct {
	Phase      string `json:"phase"`
	Deployment string `json:"deployment"`
	Pods       int    `json:"pods,omitempty"`
	Hash       string `json:"hash,omitempty"`
	// Live is what the active Service selects during the phase.
	Live     string           `json:"live"`
	Started  time.Time        `json:"started"`
	Finished time.Time        `json:"finished"`
	Gates    []event.StepGate `json:"gates,omitempty"`
	// Verdict is pass, fail or inconclusive for an analysis, fail for a
	// preview that never became Available; Message says the rest.
	Verdict gate.Verdict `json:"verdict,omitempty"`
	Message string       `json:"message,omitempty"`
}

// EventType is event.TypeBlueGreenStep.
func (Phase) EventType() event.Type { return event.TypeBlueGreenStep }

// StepReading is the phase's row: the new color's pods, the live share
// it gets (none before the switch, all after), each gate.
func (p Phase) StepReading() event.StepReading {
	r := event.StepReading{Strategy: config.StrategyBlueGreen, Key: p.Phase, Name: p.Phase, From: p.Started, To: p.Finished,
		Gates: p.Gates, Verdict: string(p.Verdict), Detail: p.Message}
	if p.Pods > 0 {
		name := p.Deployment[strings.LastIndex(p.Deployment, "/")+1:]
		r.Pods = fmt.Sprintf("%d pods of %s", p.Pods, name)
	}
	live := 0
	if p.Phase == PhasePostSwitch || p.Phase == PhaseOldRemoved {
		live = 100
	}
	r.Weight = &live
	return r
}

// StepReading is the switch's row (or the switch back's, timed from the
// failing evaluation).
func (sw Switch) StepReading() event.StepReading {
	live := 100
	r := event.StepReading{Strategy: config.StrategyBlueGreen, Key: "switch", Name: "switch", From: sw.At, To: sw.At, Weight: &live,
		Detail: fmt.Sprintf("%s selects %s (was %s)", sw.Service, describe(sw.To), describe(sw.From))}
	if sw.Back {
		live = 0
		r.Key, r.Name, r.From = "switch back", "switched back", sw.Failed
		r.Detail += fmt.Sprintf(", %s after the failing evaluation: %s", sw.Took.Round(time.Millisecond), sw.Reason)
	}
	return r
}

// emitPhase records a phase in the stream.
func (b *run) emitPhase(p Phase, msg string) {
	if b.s.Env.Sink == nil {
		return
	}
	p.Deployment, p.Hash, p.Finished = b.newD.Ref().String(), b.hash, b.s.Env.Now()
	if p.Live == "" {
		p.Live = describe(b.oldSelector)
		if p.Phase == PhasePostSwitch || p.Phase == PhaseOldRemoved {
			p.Live = describe(stringMap(b.active.Obj, "spec", "selector"))
		}
	}
	b.s.Env.Sink.Emit(event.Event{Time: p.Finished, Stage: event.StageRollout, Type: event.TypeBlueGreenStep, Object: p.Deployment, Message: msg, Data: p})
}

// analysisPhase is the phase an analysis of checkPreview's or hold's
// reports.
func analysisPhase(what string) string {
	if what == "preview" {
		return PhasePreviewAnalysis
	}
	return PhasePostSwitch
}
