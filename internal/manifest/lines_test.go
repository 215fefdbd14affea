package manifest

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestLinesObject: a rendered object is matched to its document by kind
// and name, exactly or as the one document whose name its name contains
// (kustomize's prefixes and suffixes); an ambiguous or unknown one has no
// line.
func TestLinesObject(t *testing.T) {
	file := filepath.Join(t.TempDir(), "app.yaml")
	data := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-env}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	obj := func(kind, name string) Object {
		u := &unstructured.Unstructured{}
		u.SetKind(kind)
		u.SetName(name)
		return Object{Obj: u}
	}
	reads := 0
	l := &Lines{Read: func(p string) ([]byte, error) { reads++; return os.ReadFile(p) }}
	for _, tc := range []struct {
		o    Object
		want int
	}{
		{obj("ConfigMap", "web"), 1},
		{obj("ConfigMap", "web-env"), 5},
		{obj("ConfigMap", "prod-web-env-7f9c"), 0}, // contains both web and web-env: ambiguous
		{obj("Deployment", "prod-api"), 9},
		{obj("Service", "web"), 0},
	} {
		if got := l.Object(file, tc.o); got != tc.want {
			t.Errorf("Object(%s %s) = line %d, want %d", tc.o.Obj.GetKind(), tc.o.Obj.GetName(), got, tc.want)
		}
	}
	if reads != 1 {
		t.Errorf("the file was read %d times, want once", reads)
	}
	if got := l.Object(filepath.Join(t.TempDir(), "gone.yaml"), obj("ConfigMap", "web")); got != 0 {
		t.Errorf("an unreadable file gave line %d, want 0", got)
	}
}
