package release

import (
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
)

// TestRedactedEventsKeepTheirPayloads sends a Kubernetes Event whose text
// holds a Secret value through the run's redacting sink: the payload
// reaching the views is still an event.KubeEvent (the view keys repeated
// Events on its reason), with the value masked. Redaction used to turn such
// a payload into raw JSON, and the view then lost the reason.
func TestRedactedEventsKeepTheirPayloads(t *testing.T) {
	secret := obj("Secret", "db", map[string]any{"stringData": map[string]any{"password": "s3cret-value-42"}})
	var got []event.Event
	r := &run{red: evidence.NewRedactor([]manifest.Object{secret})}
	sink := redactSink{r: r, next: event.SinkFunc(func(e event.Event) { got = append(got, e) })}
	msg := "FailedMount: cannot use s3cret-value-42"
	sink.Emit(event.Event{Time: time.Now(), Stage: event.StageRollout, Type: event.TypeKubeEvent, Object: "Deployment shop/web",
		Message: msg, Data: event.KubeEvent{Reason: "FailedMount", Message: msg}})
	ke, ok := got[0].Data.(event.KubeEvent)
	if !ok {
		t.Fatalf("payload is a %T after redaction, want event.KubeEvent", got[0].Data)
	}
	if ke.Reason != "FailedMount" || strings.Contains(ke.Message, "s3cret-value-42") || strings.Contains(got[0].Message, "s3cret-value-42") {
		t.Errorf("after redaction: %q, payload %+v", got[0].Message, ke)
	}
}
