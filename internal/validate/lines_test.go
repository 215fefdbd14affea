package validate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

func TestLineFinder(t *testing.T) {
	dir := t.TempDir()
	yamlFile := filepath.Join(dir, "multi.yaml")
	write := func(path, s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(yamlFile, `# leading comment
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data:
  text: |
    ----not a marker
    x
---
--- # empty document above
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: b}
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: c
  data: {k: v}
---
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports:
  - port: 80
  - port: 81
    targetPort: x
`)
	jsonFile := filepath.Join(dir, "one.json")
	write(jsonFile, "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"data\": {\n    \"k\": \"v\"\n  }\n}\n")
	cases := []struct {
		src  manifest.Location
		path fieldPath
		want int
	}{
		{manifest.Location{File: yamlFile, Line: 2}, keys("data", "text"), 6},
		{manifest.Location{File: yamlFile, Line: 2}, keys("metadata", "name"), 4},
		{manifest.Location{File: yamlFile, Line: 17}, keys("data", "k"), 21},
		{manifest.Location{File: yamlFile, Line: 17}, keys("metadata", "name"), 20},
		{manifest.Location{File: yamlFile, Line: 23}, keys("spec", "ports").with("", 1).with("targetPort", 0), 30},
		{manifest.Location{File: yamlFile, Line: 23}, keys("spec", "nothing", "deeper"), 26},
		{manifest.Location{File: yamlFile, Line: 23}, parsePath("spec.ports[1].port"), 29},
		{manifest.Location{File: jsonFile}, keys("data", "k"), 5},
		{manifest.Location{File: filepath.Join(dir, "gone.yaml"), Line: 7}, keys("data"), 7},
	}
	f := newLineFinder(nil)
	for _, tc := range cases {
		if got := f.locate(tc.src, tc.path); got.Line != tc.want {
			t.Errorf("locate(%s, %s) = line %d, want %d", tc.src, tc.path, got.Line, tc.want)
		}
	}
}

func TestParsePath(t *testing.T) {
	for in, want := range map[string]string{
		"spec.ports[0].port":                   "spec.ports[0].port",
		".metadata.labels":                     "metadata.labels",
		"spec.containers[1].env[2]":            "spec.containers[1].env[2]",
		"spec.template.spec.volumes[3].secret": "spec.template.spec.volumes[3].secret",
	} {
		if got := parsePath(in).String(); got != want {
			t.Errorf("parsePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLineFinderDryRunPaths: the paths of a dry-run refusal (the API
// server's field paths) resolve to the deepest line found.
func TestLineFinderDryRunPaths(t *testing.T) {
	dir := t.TempDir()
	src := `# comment
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    spec:
      containers:
        - name: web
          image: demo:v1
`
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newLineFinder(&config.Release{Dir: dir})
	doc := manifest.Location{File: "app.yaml", Line: 6}
	tests := []struct {
		path string
		want int
	}{
		{"spec.selector", 11},
		{".spec.template.spec.containers[0].image", 17},
		{"spec.template.spec.containers[3].image", 15}, // deepest found: containers
		{"spec.replicas", 10},                          // deepest found: spec
		{"status.replicas", 6},                         // nothing found: the document
		{"", 6},
	}
	for _, tt := range tests {
		if got := f.locate(doc, parsePath(tt.path)); got.Line != tt.want || got.File != "app.yaml" {
			t.Errorf("locate(%q) = %s, want line %d", tt.path, got, tt.want)
		}
	}
	if got := f.locate(manifest.Location{File: "app.yaml", Line: 2}, parsePath("metadata.name")); got.Line != 4 {
		t.Errorf("first document: %s, want line 4", got)
	}
	if got := f.locate(manifest.Location{File: "missing.yaml", Line: 3}, parsePath("spec")); got.Line != 3 {
		t.Errorf("unreadable file: %s, want the document line", got)
	}
}
