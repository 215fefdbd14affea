package mcp

import (
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/event"
)

// An event emitted after the tool call's progress was stopped (a goroutine
// of the executor outliving the call) sends nothing: before, it was a send
// on a closed channel, and the panic ended `kship mcp`.
func TestProgressEmitAfterStop(t *testing.T) {
	p := newProgress(t.Context(), &sdk.CallToolRequest{Session: &sdk.ServerSession{}, Params: &sdk.CallToolParamsRaw{Meta: sdk.Meta{"progressToken": "t"}}})
	if p.ch == nil {
		t.Fatal("no notifier started for a request with a progress token")
	}
	p.stop()
	p.Emit(event.Event{Type: event.TypeDetectorBlind, Stage: event.StageStabilize, Message: "detector blind since 12:00:00Z"})
}
