package release

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// kship status and history print stored messages through a Redactor that
// knows every revision's Secrets and release-file credentials, whichever
// kship stored the message (an older one stored them unmasked).
func TestStatusAndHistoryMaskStoredMessages(t *testing.T) {
	ctx := context.TODO()
	c := &kube.Clients{Typed: fake.NewSimpleClientset()}
	store := record.NewStore(c.Typed, time.Now, "")
	secret := obj("Secret", "token", map[string]any{"stringData": map[string]any{"token": "Pl4ntStatusSecret"}})
	rev := &record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeRolledBack,
		Objects:     []manifest.Object{secret, obj("Deployment", "web", nil)},
		ReleaseFile: []byte("spec:\n  verify:\n    metrics: {prometheus: {address: 'http://u:Pl4ntStatusPromPw@prom:9090'}}\n"),
		Message:     "rolled back: smoke answer was Pl4ntStatusSecret from http://u:Pl4ntStatusPromPw@prom:9090"}
	if err := store.Save(ctx, rev); err != nil {
		t.Fatal(err)
	}
	st, err := Status(ctx, c, "shop", "web", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	hist, err := History(ctx, c, "shop", "web")
	if err != nil {
		t.Fatal(err)
	}
	for what, v := range map[string]any{"status": st, "history": hist} {
		b, _ := json.Marshal(v)
		for _, leak := range []string{"Pl4ntStatusSecret", "Pl4ntStatusPromPw"} {
			if strings.Contains(string(b), leak) {
				t.Errorf("%s shows %s: %s", what, leak, b)
			}
		}
		if !strings.Contains(string(b), "rolled back: smoke answer was") {
			t.Errorf("%s lost the message: %s", what, b)
		}
	}
}
