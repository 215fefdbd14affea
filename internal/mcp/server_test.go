package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/kube"
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

// TestToolsAreListedWithHonestAnnotations: every tool is there with a
// typed input and output schema; only deploy, rollback and drill are not
// read-only.
func TestToolsAreListedWithHonestAnnotations(t *testing.T) {
	cs, _ := connect(t, Options{})
	res, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mutating := map[string]bool{ToolDeploy: true, ToolRollback: true, ToolDrill: true}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if tool.InputSchema == nil || tool.OutputSchema == nil {
			t.Errorf("%s: no typed schema", tool.Name)
		}
		a := tool.Annotations
		if a == nil || a.ReadOnlyHint == mutating[tool.Name] || (mutating[tool.Name] && (a.DestructiveHint == nil || !*a.DestructiveHint)) {
			t.Errorf("%s: annotations %+v", tool.Name, a)
		}
	}
	if len(names) != 9 {
		t.Errorf("tools %v", names)
	}
}

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
