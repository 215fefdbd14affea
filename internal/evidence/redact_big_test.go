package evidence

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/kship/kship/internal/manifest"
)

// randomValue returns n bytes of seeded random binary (a Secret holding a
// key store or an archive: newlines and control bytes throughout).
func randomValue(n int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return string(b)
}

// storedBytes is how much the Redactor keeps for its forms.
func storedBytes(r *Redactor) int {
	n := 0
	for f := range r.forms {
		n += len(f)
	}
	for f := range r.long {
		n += len(f.head) + len(f.sum) + 8
	}
	return n
}

// A Secret value of a quarter megabyte is masked in its encodings, and
// what the Redactor keeps for it stays a small multiple of its size. On
// the old code every form of the value and of each of its ~1000 lines was
// kept whole: about 900 bytes per byte of the value (237 MB here, and
// minutes of regexp work at 1 MiB).
func TestRedactorKeepsALargeValueBounded(t *testing.T) {
	v := randomValue(256 << 10)
	written := base64.StdEncoding.EncodeToString([]byte(v))
	r := NewRedactor([]manifest.Object{secretWith(map[string]any{"blob": written}, nil)})
	if got, limit := storedBytes(r), 48*len(v); got > limit {
		t.Fatalf("the Redactor keeps %d bytes of forms for a %d-byte value, more than %d", got, len(v), limit)
	}
	t.Logf("%d bytes kept for a %d-byte value", storedBytes(r), len(v))
	js, _ := json.Marshal(v)
	for name, text := range map[string]string{
		"as written": written, "plain": v, "json": string(js[1 : len(js)-1]),
		"query escaped": url.QueryEscape(v), "base64 raw url": base64.RawURLEncoding.EncodeToString([]byte(v)),
		"json of base64": strings.Trim(mustJSON(written), `"`),
	} {
		out := r.String("before " + text + " after")
		if out != "before "+Mask+" after" {
			t.Errorf("%s: the value was not masked whole (%d bytes out)", name, len(out))
		}
		if b := string(r.Bytes([]byte("before " + text + " after"))); b != out {
			t.Errorf("%s: Bytes and String differ", name)
		}
	}
	// Another value of the same length and head is not the value.
	other := written[:len(written)-8] + "AAAAAAAA"
	if out := r.String(other); strings.Contains(out, Mask) && len(out) < len(other)/2 {
		t.Errorf("a different value with the same head was masked whole")
	}
}

// BenchmarkRedactorLargeSecret: a Redactor learning one 1 MiB binary
// Secret value and 3000 other values, then masking 1 MB of text holding
// the value as written.
func BenchmarkRedactorLargeSecret(b *testing.B) {
	v := randomValue(1 << 20)
	written := base64.StdEncoding.EncodeToString([]byte(v))
	text := strings.Repeat(`{"message":"GET http://web.shop/healthz answers 200 in 3ms"}`+"\n", 1000) + "blob: " + written + "\n"
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		r := NewRedactor([]manifest.Object{secretWith(map[string]any{"blob": written}, nil)})
		for i := range 3000 {
			r.Add(fmt.Sprintf("other-secret-%04d-%s", i, planted))
		}
		if out := r.String(text); strings.Contains(out, written[:64]) {
			b.Fatal("the value was not masked")
		}
	}
}
