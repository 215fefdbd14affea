package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kship/kship/internal/release"
)

// TestHistoryColumnsAreBounded: the BY column shows user@host, not the
// lock holder's whole identity, and a revision of many images or a long
// name keeps the table's lines bounded, cut on a character.
func TestHistoryColumnsAreBounded(t *testing.T) {
	at := time.Date(2026, 12, 2, 1, 52, 28, 0, time.UTC)
	revs := []release.RevisionInfo{
		{Number: 2, Outcome: "deployed", StartedAt: at, FinishedAt: at.Add(69 * time.Second), Images: []string{"demo:v1", "demo:v2", "sidecar:1", "proxy:2", "init:3"},
			By:      "ci-runner-with-a-very-long-name-é@build-host-1234567890.example.com pid 25524 (boot 36b5884a, pid ns 4026531836, started 6099490)",
			Message: "revision 2 is deployed and verified", EvidenceDir: ".kship/evidence/shop/2-20261202T015228Z"},
		{Number: 1, Outcome: "superseded", StartedAt: at, Images: []string{"demo:v1"},
			By: "root@vm pid 25524 (boot 36b5884a, pid ns 4026531836, started 6099490)", Message: "revision 1 is deployed and verified", EvidenceDir: ".kship/evidence/shop/1-20261202T015100Z"},
	}
	var b bytes.Buffer
	printHistory(&b, revs)
	out := b.String()
	for _, bad := range []string{"pid ns", "boot 36b5884a", "proxy:2", "init:3"} {
		if strings.Contains(out, bad) {
			t.Errorf("history shows %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{"root@vm", "demo:v1,demo:v2,sidecar:1 (+2 more)", "ci-runner-with-a-very-long-name…"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if n := utf8.RuneCountInString(l); n > 230 || !utf8.ValidString(l) {
			t.Errorf("a line of %d characters (valid UTF-8: %v):\n%s", n, utf8.ValidString(l), l)
		}
	}
}
