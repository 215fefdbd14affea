package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
)

// ExplainInput names the attempt to explain, as EvidenceInput does.
type ExplainInput struct {
	Release     string `json:"release,omitempty" jsonschema:"the release's name"`
	Namespace   string `json:"namespace,omitempty" jsonschema:"the release's namespace"`
	Revision    int    `json:"revision,omitempty" jsonschema:"the revision whose attempt to explain (default: the newest)"`
	EvidenceDir string `json:"evidenceDir,omitempty" jsonschema:"an evidence folder a result returned (instead of release and namespace)"`
}

// Explanation is one reason, in plain words with the numbers.
type Explanation struct {
	// Kind is "gate", "smoke", "detector", "check" or "outcome".
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Verdict string `json:"verdict"`
	// Text says it in a sentence or two, with the numbers.
	Text      string   `json:"text"`
	Query     string   `json:"query,omitempty"`
	Value     *float64 `json:"value,omitempty"`
	Threshold string   `json:"threshold,omitempty"`
	Samples   int      `json:"samples,omitempty"`
	// Source is the file and line of a failed check.
	Source string `json:"source,omitempty"`
}

// ExplainOutput says why an attempt ended as it did.
type ExplainOutput struct {
	EvidenceDir  string        `json:"evidenceDir"`
	Verdict      string        `json:"verdict,omitempty"`
	ExitCode     int           `json:"exitCode"`
	Summary      string        `json:"summary"`
	Trigger      string        `json:"trigger,omitempty"`
	Explanations []Explanation `json:"explanations"`
}

func (s *Server) explain(ctx context.Context, _ *sdk.CallToolRequest, in ExplainInput) (*sdk.CallToolResult, ExplainOutput, error) {
	dir, objs, err := s.bundle(ctx, in.Release, in.Namespace, in.Revision, in.EvidenceDir)
	if err != nil {
		return nil, ExplainOutput{}, err
	}
	out := ExplainOutput{EvidenceDir: dir, Explanations: []Explanation{}}
	if b, err := evidence.Read(dir); err == nil {
		out.Verdict, out.ExitCode, out.Summary, out.Trigger = string(b.Verdict), b.ExitCode, b.Summary, b.Trigger
		out.Explanations = append(out.Explanations, explainEvents(b.Events)...)
	} else if !os.IsNotExist(err) {
		return nil, out, err
	}
	checks, err := explainChecks(filepath.Join(dir, "checks.json"))
	if err != nil {
		return nil, out, err
	}
	out.Explanations = append(out.Explanations, checks...)
	if out.Summary == "" {
		out.Summary = fmt.Sprintf("%d findings that block or failed", len(out.Explanations))
	}
	if len(out.Explanations) == 0 {
		out.Explanations = append(out.Explanations, Explanation{Kind: "outcome", Name: "attempt", Verdict: out.Verdict,
			Text: "nothing failed in this attempt's evidence: every smoke check, gate and check that ran passed"})
	}
	red := evidence.NewRedactor(objs)
	raw, _ := json.Marshal(out)
	var masked ExplainOutput
	if json.Unmarshal(s.mask.Bytes(red.Bytes(raw)), &masked) == nil {
		out = masked
	}
	lines := []string{out.Summary}
	for _, e := range out.Explanations {
		lines = append(lines, "- "+e.Text)
	}
	return result(0, strings.Join(lines, "\n"), out), out, nil
}

// gateRecord is what explain reads of a gate.measurement payload.
type gateRecord struct {
	Gate      string    `json:"gate"`
	Query     string    `json:"query"`
	Time      time.Time `json:"time"`
	Value     *float64  `json:"value"`
	Samples   int       `json:"samples"`
	Threshold string    `json:"threshold"`
	Baseline  *float64  `json:"baseline"`
	IsBase    bool      `json:"isBaseline"`
	Verdict   string    `json:"verdict"`
	Message   string    `json:"message"`
	Window    *struct {
		From        time.Time `json:"from"`
		To          time.Time `json:"to"`
		Lookback    string    `json:"lookback"`
		RolloutDone time.Time `json:"rolloutDone"`
		PostRollout bool      `json:"postRollout"`
	} `json:"window"`
	Diagnosis *struct {
		Reason   string   `json:"reason"`
		Selector string   `json:"selector"`
		Matchers []string `json:"matchers"`
		Message  string   `json:"message"`
	} `json:"diagnosis"`
}

// explainEvents explains the gates, smoke checks and detector failures
// that decided the attempt (each gate's last reading).
func explainEvents(events []event.Event) []Explanation {
	var out []Explanation
	gates := map[string]gateRecord{}
	var order []string
	for _, e := range events {
		switch e.Type {
		case event.TypeGate:
			var g gateRecord
			if decodePayload(e.Data, &g) && !g.IsBase {
				if _, seen := gates[g.Gate]; !seen {
					order = append(order, g.Gate)
				}
				gates[g.Gate] = g
			}
		case event.TypeSmoke:
			var r struct {
				Name, Target, Expected, Message string
				Passed                          bool
				Attempts, Status                int
			}
			if decodePayload(e.Data, &r) && !r.Passed {
				text := fmt.Sprintf("smoke check %s failed after %d attempts: %s; expected %s", r.Name, r.Attempts, r.Target, r.Expected)
				if r.Status != 0 {
					text += fmt.Sprintf(", the last answer was HTTP %d", r.Status)
				}
				if r.Message != "" {
					text += " (" + r.Message + ")"
				}
				out = append(out, Explanation{Kind: "smoke", Name: r.Name, Verdict: "fail", Text: text, Threshold: r.Expected})
			}
		case event.TypeFailure:
			out = append(out, Explanation{Kind: "detector", Name: e.Object, Verdict: "fail",
				Text: fmt.Sprintf("the failure detector aborted the %s at %s: %s: %s", e.Stage, e.Time.UTC().Format(time.RFC3339), e.Object, e.Message)})
		}
	}
	for _, name := range order {
		if g := gates[name]; g.Verdict != "pass" {
			out = append(out, explainGate(g))
		}
	}
	return out
}

func explainGate(g gateRecord) Explanation {
	var b strings.Builder
	fmt.Fprintf(&b, "gate %s: %s", g.Gate, g.Verdict)
	if g.Value != nil {
		fmt.Fprintf(&b, ": the query gave %g at %s, against the threshold %s", *g.Value, g.Time.UTC().Format(time.RFC3339), g.Threshold)
		if g.Baseline != nil {
			fmt.Fprintf(&b, " (baseline before the rollout: %g)", *g.Baseline)
		}
	} else {
		fmt.Fprintf(&b, ": the query had no data at %s (threshold %s)", g.Time.UTC().Format(time.RFC3339), g.Threshold)
	}
	fmt.Fprintf(&b, "; %d samples with data", g.Samples)
	if w := g.Window; w != nil {
		fmt.Fprintf(&b, "; window %s to %s (%s), rollout done at %s", w.From.UTC().Format("15:04:05"), w.To.UTC().Format("15:04:05"),
			w.Lookback, w.RolloutDone.UTC().Format("15:04:05"))
		if !w.PostRollout {
			b.WriteString(", not yet all after the rollout")
		}
	}
	if d := g.Diagnosis; d != nil && d.Message != "" {
		fmt.Fprintf(&b, "; why no data: %s", d.Message)
	}
	if g.Message != "" {
		fmt.Fprintf(&b, ". kship said: %s", g.Message)
	}
	fmt.Fprintf(&b, ". Query: %s", g.Query)
	return Explanation{Kind: "gate", Name: g.Gate, Verdict: g.Verdict, Text: b.String(), Query: g.Query, Value: g.Value, Threshold: g.Threshold, Samples: g.Samples}
}

// explainChecks explains the failed checks of a checks.json.
func explainChecks(path string) ([]Explanation, error) {
	data, err := readBounded(path, 64<<20)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var doc evidence.ChecksDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Explanation
	for _, c := range doc.Checks {
		if c.Status != "fail" {
			continue
		}
		src := ""
		if c.Source.File != "" {
			src = fmt.Sprintf("%s:%d", c.Source.File, c.Source.Line)
		}
		text := c.Message
		if src != "" {
			text = src + ": " + text
		}
		if c.Evidence != "" {
			text += " (checked: " + c.Evidence + ")"
		}
		out = append(out, Explanation{Kind: "check", Name: c.ID, Verdict: "fail", Text: text, Source: src})
	}
	return out, nil
}
