package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
)

func obj(kind, name string, extra map[string]any) manifest.Object {
	m := map[string]any{
		"apiVersion": "v1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "shop"},
	}
	for k, v := range extra {
		m[k] = v
	}
	return manifest.Object{Obj: &unstructured.Unstructured{Object: m}}
}

func TestSecretDataRoundTrip(t *testing.T) {
	rev := &Revision{
		Release: "web", Namespace: "shop", Number: 3, Outcome: OutcomeDeployed,
		Objects: []manifest.Object{
			obj("ConfigMap", "cfg", map[string]any{"data": map[string]any{"a": "multi\nline\n---\nnot a doc"}}),
			obj("Secret", "creds", map[string]any{"data": map[string]any{"password": "c2VjcmV0"}}),
			obj("Deployment", "web", map[string]any{"spec": map[string]any{"replicas": int64(4), "paused": false,
				"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"enabled": "yes", "v": "1.10"}}}}}),
		},
		ReleaseFile: []byte("apiVersion: kship.dev/v1alpha1\nkind: Release\n"),
		Message:     "verified", EvidenceDir: ".kship/evidence/web/3", EvidenceDigest: "sha256:ab",
		StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), FinishedAt: time.Date(2026, 1, 2, 3, 5, 5, 0, time.UTC),
		RollbackOf: 2, By: "alice@box pid 7", KshipVersion: "dev",
		ConfigKey: []byte("the-config-digest-key-32-bytes!!"),
	}
	data, err := secretData(rev)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data[keyManifests], []byte("c2VjcmV0")) {
		t.Error("manifests are stored uncompressed")
	}
	if bytes.Contains(data[keyRecord], []byte("c2VjcmV0")) {
		t.Error("the JSON record contains a Secret value")
	}
	if bytes.Contains(data[keyRecord], rev.ConfigKey) || bytes.Contains(data[keyManifests], rev.ConfigKey) {
		t.Error("the config digest key is outside its own key")
	}
	got, err := fromSecretData(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rev.Objects {
		if !reflect.DeepEqual(got.Objects[i].Obj.Object, rev.Objects[i].Obj.Object) {
			t.Errorf("object %d: got %v, want %v", i, got.Objects[i].Obj.Object, rev.Objects[i].Obj.Object)
		}
	}
	got.Objects, rev.Objects = nil, nil
	if !reflect.DeepEqual(got, rev) {
		t.Errorf("record round trip:\n got %+v\nwant %+v", got, rev)
	}
}

func TestSecretDataTooBig(t *testing.T) {
	var objs []manifest.Object
	// Incompressible content: distinct pseudo-random strings; objects 17
	// and 5 are the largest.
	x := uint64(1)
	for i := range 60 {
		var sb strings.Builder
		n := 40000
		switch i {
		case 17:
			n += 5000
		case 5:
			n += 2000
		}
		for range n {
			x = x*6364136223846793005 + 1442695040888963407
			sb.WriteByte(byte('a' + (x>>40)%26))
		}
		objs = append(objs, obj("ConfigMap", "c"+string(rune('a'+i%26))+string(rune('a'+i/26)), map[string]any{"data": map[string]any{"k": sb.String()}}))
	}
	_, err := secretData(&Revision{Release: "web", Namespace: "shop", Objects: objs})
	if err == nil || !strings.Contains(err.Error(), "more than a Secret holds") {
		t.Fatalf("err = %v, want a size error", err)
	}
	// The largest objects come from the one encoding, with the size each
	// has alone in the stream.
	var tl *TooLargeError
	if !errors.As(err, &tl) || len(tl.Largest) != 3 {
		t.Fatalf("err = %#v, want a TooLargeError naming 3 objects", err)
	}
	for i, want := range []int{17, 5} {
		alone, err := manifest.Encode(objs[want : want+1])
		if err != nil {
			t.Fatal(err)
		}
		if got := tl.Largest[i]; got.Ref != objs[want].Ref() || got.Size != len(alone) {
			t.Errorf("largest %d: %v (%d bytes), want %v (%d bytes)", i, got.Ref, got.Size, objs[want].Ref(), len(alone))
		}
	}
}

func TestPruneCandidates(t *testing.T) {
	metas := func(outcomes ...string) []revMeta {
		var ms []revMeta
		for i, o := range outcomes {
			n := len(outcomes) - i
			ms = append(ms, revMeta{name: SecretName("web", n), number: n, outcome: o})
		}
		return ms
	}
	numbers := func(ms []revMeta) []int {
		var ns []int
		for _, m := range ms {
			ns = append(ns, m.number)
		}
		return ns
	}
	tests := []struct {
		name string
		in   []revMeta
		keep int
		want []int
	}{
		{"under the limit", metas("deployed", "superseded"), 10, nil},
		{"oldest beyond keep go", metas("deployed", "superseded", "superseded", "superseded"), 2, []int{2, 1}},
		{"the deployed one stays even when old", metas("failed", "rolled-back", "failed", "deployed", "superseded"), 2, []int{4, 3, 1}},
		{"the newest successful one stays", metas("failed", "failed", "failed", "superseded", "superseded"), 3, []int{3, 1}},
		{"nothing successful: plain cut", metas("failed", "failed", "pending"), 1, []int{2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := numbers(pruneCandidates(tt.in, tt.keep)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pruned %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInterrupted(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	live := &Holder{Identity: "a@h pid 1", Since: now.Add(-time.Minute), RenewedAt: now.Add(-5 * time.Second), Duration: 30 * time.Second}
	expired := &Holder{Identity: "a@h pid 1", Since: now.Add(-time.Hour), RenewedAt: now.Add(-time.Minute), Duration: 30 * time.Second}
	other := &Holder{Identity: "b@h pid 2", Since: now, RenewedAt: now, Duration: 30 * time.Second}
	pending := &Revision{Outcome: OutcomePending, By: "a@h pid 1"}
	tests := []struct {
		name string
		rev  *Revision
		lock *Holder
		want bool
	}{
		{"pending, its holder alive", pending, live, false},
		{"pending, lock expired", pending, expired, true},
		{"pending, no lock", pending, nil, true},
		{"pending, someone else holds the lock", pending, other, true},
		{"finished revisions are never interrupted", &Revision{Outcome: OutcomeFailed, By: "a@h pid 1"}, nil, false},
		{"no revision", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Interrupted(tt.rev, tt.lock, now); got != tt.want {
				t.Errorf("Interrupted = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLockedErrorNamesHolder(t *testing.T) {
	e := &LockedError{Namespace: "shop", Release: "web", Holder: "alice@box pid 42",
		Since: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 1, 1, 10, 1, 0, 0, time.UTC)}
	for _, want := range []string{"shop/web", "alice@box pid 42", "2026-01-01T10:00:00Z", "--force-unlock"} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("%q does not mention %q", e.Error(), want)
		}
	}
}

func TestIdentity(t *testing.T) {
	id := Identity()
	if !strings.Contains(id, "@") || !strings.Contains(id, " pid ") {
		t.Errorf("Identity() = %q, want user@host pid N", id)
	}
}

func TestHolderJSON(t *testing.T) {
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	h := Holder{Identity: "a@h pid 1", Since: at, RenewedAt: at.Add(10 * time.Second), Duration: 30 * time.Second, Previous: "b@h pid 2"}
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"identity":"a@h pid 1","since":"2026-01-01T10:00:00Z","renewedAt":"2026-01-01T10:00:10Z","expiresAt":"2026-01-01T10:00:40Z","durationSeconds":30,"previous":"b@h pid 2"}`
	if string(data) != want {
		t.Errorf("got  %s\nwant %s", data, want)
	}
}

// BenchmarkSecretData encodes and compresses the 600-object release.
func BenchmarkSecretData(b *testing.B) {
	rev := &Revision{Release: "big", Namespace: "ns", Objects: bigRelease()}
	for b.Loop() {
		if _, err := secretData(rev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFromSecretData decodes it.
func BenchmarkFromSecretData(b *testing.B) {
	data, err := secretData(&Revision{Release: "big", Namespace: "ns", Objects: bigRelease()})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := fromSecretData(data); err != nil {
			b.Fatal(err)
		}
	}
}

// The command a human runs to read a revision's manifests reads the key
// the revision Secret stores them under.
func TestShowManifestsCommand(t *testing.T) {
	want := `kubectl -n shop get secret kship.web.v3 -o jsonpath='{.data.manifests\.yaml\.gz}' | base64 -d | gunzip`
	if got := ShowManifestsCommand("shop", "web", 3); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestConfigKeyIsTheNewestKept(t *testing.T) {
	k1, k3 := []byte("key of revision 1"), []byte("key of revision 3")
	revs := []Revision{{Number: 4}, {Number: 3, ConfigKey: k3}, {Number: 2}, {Number: 1, ConfigKey: k1}}
	if got := ConfigKey(revs); !bytes.Equal(got, k3) {
		t.Errorf("ConfigKey = %q, want revision 3's", got)
	}
	if got := ConfigKey(revs[2:3]); got != nil {
		t.Errorf("ConfigKey without any = %q, want nil", got)
	}
}
