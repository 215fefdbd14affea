package event

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kship/kship/internal/manifest"
)

// A stage's payload read back from evidence.json.
type stagePayload struct {
	Gate string `json:"gate"`
}

func (stagePayload) EventType() Type { return TypeGate }

func TestEventJSONRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	in := []Event{
		{Time: at, Stage: StageRollout, Type: TypeKubeEvent, Object: "Deployment shop/web", Message: "Warning FailedCreate",
			Data: KubeEvent{Object: manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}, Reason: "FailedCreate", Count: 2}},
		{Time: at, Stage: StageRollout, Type: TypeStatus, Data: ObjectStatus{Status: "Current"}},
		{Time: at, Stage: StageVerify, Type: TypeGate, Data: stagePayload{Gate: "error-rate"}},
		{Time: at, Stage: StageRollout, Type: TypeDecision, Message: "applied"},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out []Event
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if ke, ok := out[0].Data.(KubeEvent); !ok || ke.Reason != "FailedCreate" || ke.Count != 2 || ke.Object.Name != "web" {
		t.Errorf("kube event read back as %#v", out[0].Data)
	}
	if st, ok := out[1].Data.(ObjectStatus); !ok || st.Status != "Current" {
		t.Errorf("status read back as %#v", out[1].Data)
	}
	if raw, ok := out[2].Data.(Raw); !ok || string(raw) != `{"gate":"error-rate"}` {
		t.Errorf("a stage's payload read back as %#v, want its JSON", out[2].Data)
	}
	if out[3].Data != nil || out[3].Message != "applied" || !out[3].Time.Equal(at) {
		t.Errorf("decision read back as %+v", out[3])
	}
	again, err := json.Marshal(out)
	if err != nil || string(again) != string(data) {
		t.Errorf("written again differs:\n%s\n%s", again, data)
	}
}
