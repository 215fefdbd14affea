package release

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kship/kship/internal/manifest"
)

func TestLineFinder(t *testing.T) {
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
	f := newLineFinder(dir)
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
		if got := f.locate(doc, tt.path); got.Line != tt.want || got.File != "app.yaml" {
			t.Errorf("locate(%q) = %s, want line %d", tt.path, got, tt.want)
		}
	}
	if got := f.locate(manifest.Location{File: "app.yaml", Line: 2}, "metadata.name"); got.Line != 4 {
		t.Errorf("first document: %s, want line 4", got)
	}
	if got := f.locate(manifest.Location{File: "missing.yaml", Line: 3}, "spec"); got.Line != 3 {
		t.Errorf("unreadable file: %s, want the document line", got)
	}
}
