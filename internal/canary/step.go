package canary

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/gate"
)

// Step is a canary weight reached (Left zero) or left: the weight
// requested, the pods on each side, and the traffic share the canary's
// pods answered while it held, measured from Prometheus when the release
// file gives spec.strategy.canary.trafficShare (the payload of
// event.TypeCanary).
type Step struct {
	// Step is the 1-based index of the setWeight step.
	Step       int       `json:"step"`
	Weight     int       `json:"weight"`
	CanaryPods int       `json:"canaryPods"`
	StablePods int       `json:"stablePods"`
	PodShare   float64   `json:"podShare"`
	CanaryHash string    `json:"canaryHash"`
	Reached    time.Time `json:"reached"`
	Left       time.Time `json:"left,omitzero"`
	// Held is Left - Reached.
	Held config.Duration `json:"held,omitzero"`
	// TrafficShare is the measured share at Left, over the query's
	// lookback; nil when not measured (TrafficMessage says why).
	TrafficShare   *float64 `json:"trafficShare,omitempty"`
	TrafficQuery   string   `json:"trafficQuery,omitempty"`
	TrafficMessage string   `json:"trafficMessage,omitempty"`
}

// EventType is event.TypeCanary.
func (Step) EventType() event.Type { return event.TypeCanary }

func (c *run) emit(p event.Payload, msg string) {
	if c.s.Env.Sink == nil {
		return
	}
	obj := ""
	if c.canary != nil {
		obj = c.canary.Ref().String()
	}
	c.s.Env.Sink.Emit(event.Event{Time: c.s.Env.Now(), Stage: event.StageRollout, Type: event.TypeCanary, Object: obj, Message: msg, Data: p})
}

// leave ends the weight being held: it measures the traffic share the
// canary saw and records how long it held.
func (c *run) leave(ctx context.Context) {
	if c.at.Weight == 0 || !c.at.Left.IsZero() {
		return
	}
	c.at.Left = c.s.Env.Now()
	c.at.Held = config.Duration{Duration: c.at.Left.Sub(c.at.Reached)}
	c.measure(ctx, &c.at)
	msg := fmt.Sprintf("canary: step %d left: weight %d%% held %s", c.at.Step, c.at.Weight, c.at.Held.Round(100*time.Millisecond))
	if c.at.TrafficShare != nil {
		msg += fmt.Sprintf(", canary answered %.1f%% of requests", 100**c.at.TrafficShare)
	} else if c.at.TrafficMessage != "" {
		msg += "; traffic share " + c.at.TrafficMessage
	}
	c.emit(c.at, msg)
	c.held = append(c.held, c.at)
}

// measure runs the traffic share query at st.Left.
func (c *run) measure(ctx context.Context, st *Step) {
	if c.cfg.TrafficShare == "" {
		st.TrafficMessage = "not measured (set spec.strategy.canary.trafficShare)"
		return
	}
	q, err := config.ExpandQuery(c.cfg.TrafficShare, c.vars())
	if err != nil {
		st.TrafficMessage = "not measured: " + err.Error()
		return
	}
	st.TrafficQuery = q
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), gate.DefaultQueryTimeout)
	defer cancel()
	v, err := c.q.Query(ctx, q, st.Left)
	if err != nil {
		st.TrafficMessage = "not measured: " + err.Error()
		return
	}
	series, err := gate.Flatten(v)
	if err != nil || len(series) == 0 {
		st.TrafficMessage = "not measured: the query returned no data"
		return
	}
	share := series[0].Value
	st.TrafficShare = &share
	if lb := c.cfg.TrafficLookback.Total; st.Held.Duration < lb {
		st.TrafficMessage = fmt.Sprintf("its window (%s) is longer than the step held, so it includes the time before the step", c.cfg.TrafficLookback)
	}
}

// vars are the template variables with the canary's pods as the new ones.
func (c *run) vars() config.QueryVars {
	v := config.QueryVars{Namespace: c.r.Namespace, Release: c.r.Release.Metadata.Name, Revision: c.r.Revision}
	if c.hash != "" {
		v.PodTemplateHashes = []string{c.hash}
	}
	return v
}

// summary says what share of traffic the canary saw and for how long.
func (c *run) summary() string {
	if len(c.held) == 0 {
		return ""
	}
	var parts []string
	for _, st := range c.held {
		p := fmt.Sprintf("%d%% for %s", st.Weight, st.Held.Round(100*time.Millisecond))
		if st.TrafficShare != nil {
			p += fmt.Sprintf(" (measured %.1f%% of requests)", 100**st.TrafficShare)
		}
		parts = append(parts, p)
	}
	return "; the canary held " + strings.Join(parts, ", ")
}
