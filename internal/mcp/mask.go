package mcp

import (
	"encoding/json"
	"regexp"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
)

// masker is the server's last line of defence: every Secret value of every
// release it rendered, and the kubeconfig's credentials, are masked in
// every result and log line (the stages and evidence mask them first).
type masker struct {
	mu   sync.Mutex
	reds []*evidence.Redactor
}

func newMasker(credentials []string) *masker {
	r := evidence.NewRedactor()
	r.Add(credentials...)
	return &masker{reds: []*evidence.Redactor{r}}
}

// learn adds the Secret values of objs.
func (m *masker) learn(objs ...[]manifest.Object) {
	r := evidence.NewRedactor(objs...)
	m.mu.Lock()
	m.reds = append(m.reds, r)
	m.mu.Unlock()
}

// Bytes masks every known value in b.
func (m *masker) Bytes(b []byte) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.reds {
		b = r.Bytes(b)
	}
	return b
}

func (m *masker) String(s string) string { return string(m.Bytes([]byte(s))) }

// approvalSecret matches the verifying half of an approval code, masked in
// logs (the nonce stays, to match the used-approvals record).
var approvalSecret = regexp.MustCompile(`(ka-[a-z2-7]{16}-)[a-z2-7]{24}`)

// result masks a tool result in place.
func (m *masker) result(r *sdk.CallToolResult) {
	if r == nil {
		return
	}
	if r.StructuredContent != nil {
		if b, err := json.Marshal(r.StructuredContent); err == nil {
			r.StructuredContent = json.RawMessage(m.Bytes(b))
		}
	}
	for _, c := range r.Content {
		if t, ok := c.(*sdk.TextContent); ok {
			t.Text = m.String(t.Text)
		}
	}
}
