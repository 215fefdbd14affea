package canary

import (
	"fmt"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
)

// Analysis is an analysis step's result: the gates' latest evaluations on
// the canary's pods at its weight, from when it began waiting for data the
// canary produced to its verdict (the payload of event.TypeCanary).
type Analysis struct {
	// Step is the 1-based index of the analysis step.
	Step       int              `json:"step"`
	Weight     int              `json:"weight"`
	CanaryHash string           `json:"canaryHash"`
	Duration   config.Duration  `json:"duration"`
	Started    time.Time        `json:"started"`
	Finished   time.Time        `json:"finished"`
	Gates      []event.StepGate `json:"gates,omitempty"`
	// Verdict is pass, fail or inconclusive; Message why, when not pass.
	Verdict gate.Verdict `json:"verdict"`
	Message string       `json:"message,omitempty"`
}

// EventType is event.TypeCanary.
func (Analysis) EventType() event.Type { return event.TypeCanary }

// Ending is the end of a canary: promoted (stable runs the new template,
// the canary removed) or aborted (the canary removed, stable never
// changed), from when it began to when the canary was gone (the payload
// of event.TypeCanary).
type Ending struct {
	Promoted bool      `json:"promoted"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Failed says why a promotion failed or why the canary was aborted.
	Failed  string `json:"failed,omitempty"`
	Message string `json:"message"`
}

// EventType is event.TypeCanary.
func (Ending) EventType() event.Type { return event.TypeCanary }

// StepReading is the weight's row: requested, pods, measured share.
func (st Step) StepReading() event.StepReading {
	w := st.Weight
	r := event.StepReading{Strategy: config.StrategyCanary, Key: fmt.Sprintf("step-%d", st.Step), Step: st.Step,
		Name: fmt.Sprintf("setWeight %d%%", st.Weight), From: st.Reached, To: st.Left, Weight: &w,
		Pods:         fmt.Sprintf("%d canary + %d stable (%.0f%% of ready pods)", st.CanaryPods, st.StablePods, 100*st.PodShare),
		TrafficShare: st.TrafficShare, TrafficNote: st.TrafficMessage}
	if st.TrafficShare != nil {
		r.Detail = "traffic share: " + st.TrafficQuery
	}
	return r
}

// StepReading is the analysis' row: its gates and verdict.
func (a Analysis) StepReading() event.StepReading {
	w := a.Weight
	return event.StepReading{Strategy: config.StrategyCanary, Key: fmt.Sprintf("step-%d", a.Step), Step: a.Step,
		Name: "analysis " + a.Duration.String(), From: a.Started, To: a.Finished, Weight: &w,
		Gates: a.Gates, Verdict: string(a.Verdict), Detail: a.Message}
}

// StepReading is the promotion's or the abort's row.
func (e Ending) StepReading() event.StepReading {
	w := 0
	r := event.StepReading{Strategy: config.StrategyCanary, Key: "end", Name: "aborted", From: e.Started, To: e.Finished, Weight: &w, Detail: e.Message}
	if e.Promoted {
		w = 100
		r.Name = "promoted"
	}
	if e.Failed != "" {
		r.Verdict = string(gate.Fail)
	}
	return r
}

// StepReading is the switch back to the previous pods after a failure in
// Verify or Stabilize.
func (rv Revert) StepReading() event.StepReading {
	return event.StepReading{Strategy: config.StrategyCanary, Key: "revert", Name: "switched back to " + rv.Previous,
		From: rv.Failed, To: rv.Switched, Pods: fmt.Sprintf("%d previous pods", len(rv.Pods)),
		Detail: fmt.Sprintf("%s: %s after the failure: %s", rv.Previous, rv.Switched.Sub(rv.Failed).Round(time.Millisecond), rv.Reason)}
}

// emitAnalysis records an analysis' result in the stream.
func (c *run) emitAnalysis(a Analysis, latest map[string]gate.Measurement, verdict gate.Verdict, err error) {
	a.Finished, a.Gates, a.Verdict = c.s.Env.Now(), gate.StepGates(latest), verdict
	word := map[gate.Verdict]string{gate.Pass: "passed", gate.Fail: "failed"}[verdict]
	if word == "" {
		word = string(verdict)
	}
	msg := fmt.Sprintf("canary: step %d: analysis %s on the canary's pods (%d gates, %s)", a.Step, word, len(a.Gates), a.Duration)
	if err != nil {
		a.Message = err.Error()
	}
	c.emit(a, msg)
}

// emitEnding records the promotion or the abort in the stream.
func (c *run) emitEnding(e Ending) {
	e.Finished = c.s.Env.Now()
	c.emit(e, "canary: "+e.Message)
}
