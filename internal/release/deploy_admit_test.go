package release

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestDeployAdmitRefusalWritesNothing: an Admit error refuses the release
// after Prepare, before any revision is saved or object applied, with the
// error's words; Admit sees the prepared release.
func TestDeployAdmitRefusalWritesNothing(t *testing.T) {
	h := newHarness(t.TempDir())
	var seen *Prepared
	out, err := h.run().deploy(context.TODO(), DeployOptions{ReleaseFile: "testdata/kship.yaml", RunOptions: RunOptions{EvidenceDir: h.dir},
		Admit: func(p *Prepared) error { seen = p; return errors.New("plan p-1 is stale") }})
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode != 2 || !strings.Contains(out.Summary, "plan p-1 is stale") {
		t.Fatalf("exit %d: %s", out.ExitCode, out.Summary)
	}
	calls := h.s.list()
	indexOf(t, calls, "prepare")
	noCall(t, calls, "save")
	noCall(t, calls, "apply")
	if seen == nil || seen.Release == nil {
		t.Fatal("Admit was not given the prepared release")
	}
}

// TestDeployAdmitNilErrorDeploys: an Admit that agrees changes nothing.
func TestDeployAdmitNilErrorDeploys(t *testing.T) {
	h := newHarness(t.TempDir())
	out, err := h.run().deploy(context.TODO(), DeployOptions{ReleaseFile: "testdata/kship.yaml", RunOptions: RunOptions{EvidenceDir: h.dir},
		Admit: func(*Prepared) error { return nil }})
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("exit %d, %v: %s", out.ExitCode, err, out.Summary)
	}
}
