package release

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/input"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/validate"
)

// incompressible returns n bytes of base64 text of pseudo-random bytes
// (gzip gets it down to about 3/4, no further).
func incompressible(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, seed))
	raw := make([]byte, n*3/4)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// writeSizedRelease writes a release of ConfigMaps with values of the
// given sizes in bytes.
func writeSizedRelease(t *testing.T, sizes ...int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, n := range sizes {
		cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: blob" + string(rune('a'+i)) + "}\ndata:\n  blob: " + incompressible(uint64(i+1), n) + "\n"
		if err := os.WriteFile(filepath.Join(dir, "deploy", "blob"+string(rune('a'+i))+".yaml"), []byte(cm), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "kship.yaml")
	rel := "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: big}\nspec:\n  namespace: shop\n  source: {path: ./deploy}\n"
	if err := os.WriteFile(file, []byte(rel), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func sizeFinding(r *validate.Report) *validate.Check {
	for i, c := range r.Checks {
		if c.Rule == "the release is too large for its revision Secret" {
			return &r.Checks[i]
		}
	}
	return nil
}

// TestPrepareRefusesAReleaseTooLargeForItsSecret: two 700 KiB ConfigMaps
// of incompressible data are valid objects, but their revision (about
// 1 MiB gzipped) does not fit a Secret: check blocks, with the sizes that
// record's own encoding gives; one of them fits and nothing is reported.
func TestPrepareRefusesAReleaseTooLargeForItsSecret(t *testing.T) {
	file := writeSizedRelease(t, 700<<10, 700<<10)
	p, err := Prepare(context.Background(), PrepareOptions{ReleaseFile: file, Offline: true, EvidenceDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	c := sizeFinding(p.Report)
	if c == nil || c.Status != validate.Fail || !p.Report.Blocking() {
		t.Fatalf("no blocking size finding in %+v", p.Report.Checks)
	}
	rel, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	_, err = record.Size(&record.Revision{Release: "big", Namespace: "shop", Number: 1, Outcome: record.OutcomePending, Objects: p.Objects, ReleaseFile: rel.Raw})
	var tl *record.TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("record.Size: %v, want a TooLargeError", err)
	}
	for _, want := range []string{
		"the release is too large for its revision Secret: " + input.Size(int64(tl.Size)) + " compressed (manifests " + input.Size(int64(tl.Manifests)),
		"a Secret holds at most 1008 KiB", "deploy could not record it", "Split it into smaller releases",
		"the largest objects: ConfigMap shop/blob", "(700.1 KiB)",
	} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, c.Message)
		}
	}

	p, err = Prepare(context.Background(), PrepareOptions{ReleaseFile: writeSizedRelease(t, 700<<10), Offline: true, EvidenceDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if c := sizeFinding(p.Report); c != nil {
		t.Errorf("a release that fits: %s", c.Message)
	}
}
