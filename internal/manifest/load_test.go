package manifest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
)

var update = flag.Bool("update", false, "rewrite golden files")

// release builds a release rooted in testdata.
func release(t *testing.T, src config.Source) *config.Release {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return &config.Release{Dir: dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop", Source: src}}
}

// show shows objects as a reviewer would read them: where each came
// from, then its YAML.
func show(t *testing.T, objs []Object) string {
	t.Helper()
	var b strings.Builder
	for _, o := range objs {
		y, err := Encode([]Object{o})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "# %s from %s\n%s", o.Ref(), o.Source, y)
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden file (go test -update to accept):\n%s", path, got)
	}
}

func TestLoadFolder(t *testing.T) {
	objs, err := Load(context.Background(), release(t, config.Source{Path: "folder"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "folder", show(t, objs))
}

func TestLoadKustomization(t *testing.T) {
	objs, err := Load(context.Background(), release(t, config.Source{Path: "kustomize/overlay"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "kustomize", show(t, objs))
}

func TestLoadHelm(t *testing.T) {
	src := config.Source{Helm: &config.Helm{
		Chart:       "chart",
		Values:      []string{"chart/prod-values.yaml"},
		Set:         map[string]string{"image.tag": "2.0"},
		ReleaseName: "web",
	}}
	r, err := Render(context.Background(), release(t, src), nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "helm", show(t, r.Objects))
	want := []Skipped{{Ref: Ref{Kind: "Pod", Namespace: "shop", Name: "web-test"}, Source: Location{File: "chart/templates/hook.yaml"},
		Reason: "Helm hook (test) not applied: kship has no hook lifecycle; declare a migration Job under spec.migrations or a Job smoke check instead, or release the chart with spec.mechanism: helm"}}
	if !reflect.DeepEqual(r.Skipped, want) {
		t.Errorf("skipped = %+v", r.Skipped)
	}
	// Released as a Helm release, the hook is Helm's to run: listed as such.
	rel := release(t, src)
	rel.Spec.Mechanism = config.MechanismHelm
	r, err = Render(context.Background(), rel, nil)
	if err != nil {
		t.Fatal(err)
	}
	want[0].Reason = "Helm hook (test), run by Helm around its install, upgrade or rollback; reported in the evidence"
	if !reflect.DeepEqual(r.Skipped, want) {
		t.Errorf("skipped with mechanism helm = %+v", r.Skipped)
	}
}
