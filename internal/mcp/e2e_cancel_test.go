package mcp_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/testenv"
)

// TestCancelledDeployIsRecorded: a client that cancels a deploy call while
// the rollout waits (pods that never become ready) interrupts it the way
// SIGTERM interrupts `kship deploy`: the revision is recorded as
// interrupted, the lock is released, the call is in the server log, and
// the server goes on serving.
func TestCancelledDeployIsRecorded(t *testing.T) {
	f := newFixture(t)
	ns := testenv.Namespace(t, f.env, "mcp-cancel-")
	cs := f.serve("--policy", f.policy(ns+"=none"))
	var p planOut
	if res := f.call(cs, "plan", map[string]any{"file": f.release(ns, app{version: "v1", behavior: "unready", secret: "cancel-secret-4c1b"})}, &p); res.IsError {
		t.Fatalf("plan: %s", text(res))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var cancelledAt time.Time
	f.progMu.Lock()
	f.onProgress = func(msg string) {
		if strings.HasPrefix(msg, "rollout: ") && strings.Contains(msg, "Deployment") && cancelledAt.IsZero() {
			cancelledAt = time.Now()
			cancel()
		}
	}
	f.progMu.Unlock()
	params := &sdk.CallToolParams{Name: "deploy", Arguments: map[string]any{"planId": p.PlanID}}
	params.SetProgressToken("cancel-me")
	if _, err := cs.CallTool(ctx, params); err == nil {
		t.Fatal("the cancelled call returned a result")
	}
	if cancelledAt.IsZero() {
		t.Fatalf("the call ended before the rollout said anything: %v", f.progress)
	}
	type status struct {
		State  string `json:"state"`
		Latest *struct {
			Outcome string `json:"outcome"`
			Message string `json:"message"`
		} `json:"latest"`
		Lock any `json:"lock"`
	}
	var st status
	deadline := time.Now().Add(time.Minute)
	for {
		st = status{}
		f.call(cs, "status", map[string]any{"release": "app", "namespace": ns}, &st)
		if st.Latest != nil && st.Latest.Outcome == "interrupted" && st.Lock == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after the cancel: state %s, latest %+v, lock %v", st.State, st.Latest, st.Lock)
		}
		time.Sleep(time.Second)
	}
	t.Logf("cancelled after the rollout's first word; %s later: %s (%s)", time.Since(cancelledAt).Round(time.Millisecond), st.State, st.Latest.Message)
	log, err := os.ReadFile(f.serverLog)
	if err != nil || !strings.Contains(string(log), `"tool":"deploy"`) || !strings.Contains(string(log), "interrupted") {
		t.Errorf("the cancelled deploy is not in the server log: %v\n%s", err, log)
	}
}
