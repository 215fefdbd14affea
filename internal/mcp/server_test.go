package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
)

// connect starts a server on in-memory transports and returns a client
// session and the server log.
func connect(t *testing.T, o Options) (*sdk.ClientSession, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	if o.State == nil {
		o.State = newState(t)
	}
	if o.Clients == nil {
		o.Clients = func(context.Context) (*kube.Clients, error) { return nil, errors.New("no cluster in this test") }
	}
	o.Log, o.EvidenceDir, o.Context = &log, filepath.Join(t.TempDir(), "evidence"), "local"
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	st, ct := sdk.NewInMemoryTransports()
	if _, err := s.SDK().Connect(t.Context(), st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "v0"}, nil).Connect(t.Context(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs, &log
}

func call(t *testing.T, cs *sdk.ClientSession, tool string, args map[string]any) (*sdk.CallToolResult, map[string]any) {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var out map[string]any
	if res.StructuredContent != nil {
		b, _ := json.Marshal(res.StructuredContent)
		json.Unmarshal(b, &out)
	}
	return res, out
}

func text(r *sdk.CallToolResult) string {
	var parts []string
	for _, c := range r.Content {
		if t, ok := c.(*sdk.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// TestToolsAreListedWithHonestAnnotations is what a client sees in
// tools/list: every tool with a strict typed input schema (unknown
// arguments refused, the required ones marked) and an output schema; only
// deploy, rollback and drill are not read-only, and they say they are
// destructive; no tool takes a manifest, a command, a kubeconfig, a
// container or a Secret, and the mutating ones answer with an exit code.
func TestToolsAreListedWithHonestAnnotations(t *testing.T) {
	cs, _ := connect(t, Options{})
	res, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mutating := map[string]bool{ToolDeploy: true, ToolRollback: true, ToolDrill: true}
	inputs := map[string][]string{
		ToolPlan: {"file", "namespace"}, ToolCheck: {"file", "namespace"}, ToolDeploy: {"approval", "planId"},
		ToolStatus: {"namespace", "release"}, ToolHistory: {"namespace", "release"},
		ToolRollback: {"approval", "namespace", "planId", "release", "toRevision"}, ToolDrill: {"approval", "namespace", "planId", "release"},
		ToolEvidence: {"evidenceDir", "file", "namespace", "release", "revision"}, ToolExplain: {"evidenceDir", "namespace", "release", "revision"},
	}
	required := map[string][]string{ToolPlan: {"file"}, ToolCheck: {"file"}, ToolStatus: {"release", "namespace"}, ToolHistory: {"release", "namespace"},
		ToolRollback: {"release", "namespace"}, ToolDrill: {"release", "namespace"}}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		var in, out struct {
			Type                 string                     `json:"type"`
			Properties           map[string]json.RawMessage `json:"properties"`
			Required             []string                   `json:"required"`
			AdditionalProperties *bool                      `json:"additionalProperties"`
		}
		b, _ := json.Marshal(tool.InputSchema)
		json.Unmarshal(b, &in)
		b, _ = json.Marshal(tool.OutputSchema)
		json.Unmarshal(b, &out)
		var props []string
		for p := range in.Properties {
			props = append(props, p)
		}
		sort.Strings(props)
		if in.Type != "object" || in.AdditionalProperties == nil || *in.AdditionalProperties || !reflect.DeepEqual(props, inputs[tool.Name]) {
			t.Errorf("%s: input schema %s, want exactly %v, no other property", tool.Name, mustJSON(tool.InputSchema), inputs[tool.Name])
		}
		if !reflect.DeepEqual(in.Required, required[tool.Name]) {
			t.Errorf("%s: required %v, want %v", tool.Name, in.Required, required[tool.Name])
		}
		if out.Type != "object" || len(out.Properties) == 0 {
			t.Errorf("%s: output schema %s", tool.Name, mustJSON(tool.OutputSchema))
		}
		if _, ok := out.Properties["exitCode"]; mutating[tool.Name] && !ok {
			t.Errorf("%s: no exitCode in its output schema", tool.Name)
		}
		a := tool.Annotations
		if a == nil || a.ReadOnlyHint == mutating[tool.Name] || (mutating[tool.Name] && (a.DestructiveHint == nil || !*a.DestructiveHint)) ||
			a.OpenWorldHint == nil || *a.OpenWorldHint || tool.Description == "" {
			t.Errorf("%s: annotations %+v", tool.Name, a)
		}
	}
	if len(names) != 9 {
		t.Errorf("tools %v", names)
	}
	// The SDK validates arguments against the schema before kship's handler.
	for _, args := range []map[string]any{
		{"planId": "p-aaaaaaaaaaaaaaaaaaaa", "manifest": "kind: Pod"},
		{"planId": 42},
	} {
		r, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: ToolDeploy, Arguments: args})
		if err == nil && !r.IsError {
			t.Errorf("deploy %v: accepted", args)
		}
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestReadOnlyWithoutPolicy: without a policy every mutating tool is
// refused (exit 2) before the cluster is asked, and each call is logged.
func TestReadOnlyWithoutPolicy(t *testing.T) {
	cs, log := connect(t, Options{})
	for _, tool := range []string{ToolRollback, ToolDrill} {
		res, out := call(t, cs, tool, map[string]any{"release": "web", "namespace": "shop"})
		if !res.IsError || out["exitCode"] != float64(2) || !strings.Contains(text(res), "read-only") {
			t.Errorf("%s: %v %s", tool, out, text(res))
		}
	}
	res, out := call(t, cs, ToolDeploy, map[string]any{})
	if !res.IsError || out["exitCode"] != float64(2) || !strings.Contains(text(res), "deploy needs a planId") {
		t.Errorf("deploy without plan id: %s", text(res))
	}
	res, _ = call(t, cs, ToolDeploy, map[string]any{"planId": "p-aaaaaaaaaaaaaaaaaaaa"})
	if !res.IsError || !strings.Contains(text(res), "unknown plan id") {
		t.Errorf("deploy with an unknown plan id: %s", text(res))
	}
	if n := strings.Count(log.String(), "\n"); n != 4 {
		t.Errorf("%d calls logged:\n%s", n, log)
	}
}

// TestResultsMatchTheirSchemas: results as the tools write them validate
// against the output schemas tools/list shows (the SDK refuses a result
// that does not), including the types that write themselves as JSON: a
// status while a deploy holds the lock, an outcome.
func TestResultsMatchTheirSchemas(t *testing.T) {
	cs, _ := connect(t, Options{})
	res, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*jsonschema.Resolved{}
	for _, tool := range res.Tools {
		var s jsonschema.Schema
		b, _ := json.Marshal(tool.OutputSchema)
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		r, err := s.Resolve(nil)
		if err != nil {
			t.Fatalf("%s: %v", tool.Name, err)
		}
		schemas[tool.Name] = r
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	rev := &release.RevisionInfo{Number: 2, Outcome: "deploying", StartedAt: now}
	results := map[string]any{
		ToolStatus: release.StatusReport{Release: "web", Namespace: "shop", State: "deploying", Message: "deploying", Latest: rev,
			Lock: &record.Holder{Identity: "me@host pid 1", Since: now, RenewedAt: now, Duration: 30 * time.Second}},
		ToolDeploy: DeployOutput{Outcome: &event.Outcome{Release: "web", Namespace: "shop", Verdict: event.Verified, StartedAt: now, FinishedAt: now},
			Measurements: []Measurement{{Kind: "gate", Name: "errors", Verdict: "pass", Value: ptr(0.5), Time: now}}},
		ToolHistory: HistoryOutput{Revisions: []release.RevisionInfo{*rev}},
	}
	for tool, v := range results {
		b, _ := json.Marshal(v)
		var doc any
		json.Unmarshal(b, &doc)
		if err := schemas[tool].Validate(doc); err != nil {
			t.Errorf("%s: %v\n%s", tool, err, b)
		}
	}
}
