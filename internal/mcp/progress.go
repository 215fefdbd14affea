package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/event"
)

// Measurement is one key measurement of an attempt, for an agent to cite:
// a gate's last reading, a smoke check's result or a failure the detector
// found.
type Measurement struct {
	// Kind is "gate", "smoke" or "detector".
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Verdict is pass, fail, inconclusive or error (gates), pass or fail
	// (smoke), or the failure's reason (detector).
	Verdict   string    `json:"verdict"`
	Value     *float64  `json:"value,omitempty"`
	Threshold string    `json:"threshold,omitempty"`
	Query     string    `json:"query,omitempty"`
	Target    string    `json:"target,omitempty"`
	Message   string    `json:"message,omitempty"`
	Stage     string    `json:"stage"`
	Time      time.Time `json:"time"`
}

// progress is the sink of one tool call: it turns the executor's event
// stream into MCP progress notifications (when the client asked for them
// with a progress token) and keeps the key measurements.
type progress struct {
	ctx   context.Context
	ss    *sdk.ServerSession
	token any

	mu   sync.Mutex
	n    int
	meas []Measurement
	last map[string]int // kind/name → index in meas
	ch   chan *sdk.ProgressNotificationParams
	done chan struct{}
}

// newProgress starts the notifier of req; stop flushes it.
func newProgress(ctx context.Context, req *sdk.CallToolRequest) *progress {
	p := &progress{ctx: ctx, last: map[string]int{}}
	if req != nil && req.Params != nil {
		p.ss, p.token = req.Session, req.Params.GetProgressToken()
	}
	if p.token != nil && p.ss != nil {
		p.ch, p.done = make(chan *sdk.ProgressNotificationParams, 256), make(chan struct{})
		ch, done := p.ch, p.done
		go func() {
			defer close(done)
			for n := range ch {
				_ = p.ss.NotifyProgress(ctx, n)
			}
		}()
	}
	return p
}

// stop flushes the notifier; an event emitted later (a goroutine of the
// executor that outlives the tool call) is kept as a measurement but sends
// nothing.
func (p *progress) stop() {
	p.mu.Lock()
	ch := p.ch
	p.ch = nil
	p.mu.Unlock()
	if ch != nil {
		close(ch)
		<-p.done
	}
}

// Emit takes one event of the stream (already masked by release).
func (p *progress) Emit(e event.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.measure(e)
	if p.ch == nil || e.Type == event.TypeStatus && e.Message == "" {
		return
	}
	p.n++
	msg := fmt.Sprintf("%s: %s", e.Stage, e.Message)
	if e.Object != "" {
		msg = fmt.Sprintf("%s: %s: %s", e.Stage, e.Object, e.Message)
	}
	select {
	case p.ch <- &sdk.ProgressNotificationParams{ProgressToken: p.token, Progress: float64(p.n), Message: msg}:
	default: // a client that does not read its notifications does not stall the release
	}
}

// measure keeps the newest gate reading, smoke result and detector
// failure of each name.
func (p *progress) measure(e event.Event) {
	var m *Measurement
	switch e.Type {
	case event.TypeGate:
		g, ok := e.Data.(event.GatePayload)
		if !ok {
			return
		}
		r := g.GateReading()
		if r.Baseline {
			return
		}
		m = &Measurement{Kind: "gate", Name: r.Gate, Verdict: r.Verdict, Value: r.Value, Threshold: r.Threshold, Query: r.Query, Time: r.Time}
	case event.TypeSmoke:
		var s struct {
			Name, Target, Expected, Message string
			Passed                          bool
		}
		if !decodePayload(e.Data, &s) {
			return
		}
		m = &Measurement{Kind: "smoke", Name: s.Name, Verdict: map[bool]string{true: "pass", false: "fail"}[s.Passed],
			Target: s.Target, Threshold: s.Expected, Time: e.Time}
	case event.TypeFailure:
		var f struct{ Reason, Pod, Container, Message string }
		if !decodePayload(e.Data, &f) {
			return
		}
		m = &Measurement{Kind: "detector", Name: e.Object, Verdict: f.Reason, Target: f.Pod, Time: e.Time}
	default:
		return
	}
	m.Stage, m.Message = string(e.Stage), e.Message
	key := m.Kind + "/" + m.Name
	if i, ok := p.last[key]; ok {
		p.meas[i] = *m
		return
	}
	p.last[key] = len(p.meas)
	p.meas = append(p.meas, *m)
}

func (p *progress) measurements() []Measurement {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Measurement{}, p.meas...)
}

// decodePayload reads a stage's payload through its JSON (mcp does not
// import the stage packages).
func decodePayload(d event.Payload, v any) bool {
	b, err := json.Marshal(d)
	return err == nil && json.Unmarshal(b, v) == nil
}
