package manifest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
)

// writeChart writes a chart folder with Chart.yaml and one ConfigMap
// template named after the chart.
func writeChart(t *testing.T, dir, chartYAML string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(chartYAML), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "templates", "cm.yaml"),
		[]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Chart.Name }}-{{ .Values.who | default \"nobody\" }}}\n"), 0o644))
}

func helmRelease(dir, chart string) *config.Release {
	return &config.Release{Dir: dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop",
		Source: config.Source{Helm: &config.Helm{Chart: chart, ReleaseName: "web"}}}}
}

// A chart whose Chart.yaml names local charts with file:// renders them as
// `helm dependency build` would have packaged them: the dependency's own
// file:// dependency (relative to its folder) too, and the parent's values
// for the subchart reach it.
func TestHelmFileDependencies(t *testing.T) {
	dir := t.TempDir()
	writeChart(t, filepath.Join(dir, "app"), `apiVersion: v2
name: app
version: 1.0.0
dependencies:
  - {name: lib, version: "~0.3.0", repository: "file://../lib"}
`)
	must(t, os.WriteFile(filepath.Join(dir, "app", "values.yaml"), []byte("who: app\nlib: {who: parent}\n"), 0o644))
	writeChart(t, filepath.Join(dir, "lib"), `apiVersion: v2
name: lib
version: 0.3.2
dependencies:
  - {name: base, version: ">=1.0.0", repository: "file://./base"}
`)
	writeChart(t, filepath.Join(dir, "lib", "base"), "apiVersion: v2\nname: base\nversion: 1.2.0\n")
	objs, err := Load(context.Background(), helmRelease(dir, "app"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.Obj.GetName())
	}
	got := strings.Join(names, ",")
	for _, want := range []string{"app-app", "lib-parent", "base-nobody"} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered %s, want %s among them", got, want)
		}
	}
	if len(objs) != 3 {
		t.Errorf("rendered %d objects (%s), want 3", len(objs), got)
	}
}

// A file:// dependency that is missing, named otherwise, or of a version
// the constraint refuses is an error naming the dependency and the path.
func TestHelmFileDependencyErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		libChart string // "" for no chart at ../lib
		version  string
		want     string
	}{
		"missing":       {"", "0.1.0", "app/Chart.yaml: dependency lib (repository file://../lib): no chart at lib"},
		"other name":    {"apiVersion: v2\nname: other\nversion: 0.1.0\n", "0.1.0", `the chart at lib is named "other"`},
		"wrong version": {"apiVersion: v2\nname: lib\nversion: 0.2.0\n", "^0.3.0", `has version 0.2.0, which does not satisfy "^0.3.0"`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeChart(t, filepath.Join(dir, "app"), "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: lib, version: \""+tc.version+"\", repository: \"file://../lib\"}\n")
			if tc.libChart != "" {
				writeChart(t, filepath.Join(dir, "lib"), tc.libChart)
			}
			_, err := Load(context.Background(), helmRelease(dir, "app"), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// A chart that depends on itself through file:// is refused, not walked
// for ever.
func TestHelmFileDependencyLoop(t *testing.T) {
	dir := t.TempDir()
	writeChart(t, filepath.Join(dir, "app"), "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: app, version: \"1.0.0\", repository: \"file://.\"}\n")
	_, err := Load(context.Background(), helmRelease(dir, "app"), nil)
	if err == nil || !strings.Contains(err.Error(), "nest more than") {
		t.Errorf("error = %v", err)
	}
}
