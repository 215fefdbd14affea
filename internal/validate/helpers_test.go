package validate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/builtin"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

// testRelease is a release that passes every guardrail.
func testRelease(dir string) *config.Release {
	max := 0.01
	return &config.Release{
		APIVersion: config.APIVersion, Kind: config.Kind,
		Metadata: config.Metadata{Name: "web"},
		Spec: config.Spec{
			Namespace: "shop",
			Rollback:  config.Rollback{Method: config.RollbackAuto},
			Verify: config.Verify{
				Smoke:   []config.SmokeCheck{{Name: "health", HTTP: &config.HTTPCheck{URL: "http://web/healthz"}}},
				Metrics: &config.Metrics{Gates: []config.Gate{{Name: "errors", Query: "x", Max: &max}}},
			},
		},
		Dir: dir,
	}
}

// decodeFile writes doc to dir/name and decodes it like the loader does.
func decodeFile(t testing.TB, dir, name, doc string) []manifest.Object {
	t.Helper()
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := manifest.Decode(file, []byte(doc))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	for _, o := range objs {
		if o.Obj.GetNamespace() == "" && builtin.ScopeOf(o.GVK().GroupKind()) != builtin.Cluster {
			o.Obj.SetNamespace("shop")
		}
	}
	return objs
}

// problems renders the non-pass items as "status line: message" (line
// only, the file is the test's) for comparison.
func problems(r *Report) []string {
	var out []string
	for _, c := range r.Checks {
		if c.Status == Pass {
			continue
		}
		out = append(out, fmt.Sprintf("%s %d: %s", c.Status, c.Source.Line, c.Message))
	}
	return out
}

func familyProblems(r *Report, id string) []string {
	var out []string
	for _, c := range r.Checks {
		if c.ID == id && c.Status != Pass {
			out = append(out, fmt.Sprintf("%s %d: %s", c.Status, c.Source.Line, c.Message))
		}
	}
	return out
}

func runOffline(t testing.TB, rel *config.Release, doc string) *Report {
	t.Helper()
	return runInput(t, Input{Release: rel}, doc)
}

// runInput runs in offline over doc's objects (decoded into in.Release.Dir)
// and checks that every item has an ID, a title and evidence.
func runInput(t testing.TB, in Input, doc string) *Report {
	t.Helper()
	in.Objects = decodeFile(t, in.Release.Dir, "bundle.yaml", doc)
	r := Run(context.Background(), in)
	for _, c := range r.Checks {
		if c.Evidence == "" || c.Title == "" || c.ID == "" {
			t.Errorf("item without ID, title or evidence: %+v", c)
		}
	}
	return r
}

// assertProblems compares want (substrings, in order) with got exactly in count.
func assertProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d:\n got  %s\n want %s", i, got[i], want[i])
		}
	}
}
