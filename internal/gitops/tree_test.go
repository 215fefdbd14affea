package gitops

import (
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
)

func object1(kind, ns, name string) manifest.Object {
	return manifest.Object{Obj: &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": ns}}}}
}

// Files names one file per object, qualifies names only where two would
// collide, lists them in apply order in kustomization.yaml, and gives the
// same bytes for the same objects.
func TestFiles(t *testing.T) {
	objs := []manifest.Object{object1("ConfigMap", "a", "web"), object1("ConfigMap", "b", "web"), object1("Service", "a", "web")}
	files, err := Files("a/web", objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"configmap-a-web.yaml", "configmap-b-web.yaml", "service-web.yaml", KustomizationFile} {
		if _, ok := files[n]; !ok {
			t.Errorf("no file %s in %v", n, sortedNames(files))
		}
	}
	if k := string(files[KustomizationFile]); !strings.Contains(k, "resources:\n  - configmap-a-web.yaml\n  - configmap-b-web.yaml\n  - service-web.yaml\n") {
		t.Errorf("kustomization.yaml:\n%s", k)
	}
	again, _ := Files("a/web", objs)
	for n := range files {
		if string(again[n]) != string(files[n]) {
			t.Errorf("%s differs between two renderings", n)
		}
	}
	if none, _ := Files("a/web", nil); len(none) != 0 {
		t.Errorf("no objects gave files %v", sortedNames(none))
	}
}

// A commit replaces kship's folder only: every other entry of the tree is
// kept; the same files again commit nothing; no files remove the folder
// and the parents it leaves empty.
func TestBuildReplacesOnlyTheFolder(t *testing.T) {
	r, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rp := &repo{r: r}
	sig := object.Signature{Name: "t", Email: "t@x", When: time.Unix(0, 0)}
	base, _, err := rp.build(plumbing.ZeroHash, commitSpec{path: "other", files: map[string][]byte{"keep.yaml": []byte("x")}, author: sig, message: "m"})
	if err != nil {
		t.Fatal(err)
	}
	spec := commitSpec{path: "apps/web", files: map[string][]byte{"a.yaml": []byte("a")}, author: sig, message: "kship"}
	c1, changed, err := rp.build(base, spec)
	if err != nil || !changed {
		t.Fatalf("build: %v, changed %v", err, changed)
	}
	if f, _ := rp.filesAt(c1, "other"); string(f["keep.yaml"]) != "x" {
		t.Errorf("other/keep.yaml lost: %v", f)
	}
	if f, _ := rp.filesAt(c1, "apps/web"); string(f["a.yaml"]) != "a" || len(f) != 1 {
		t.Errorf("apps/web: %v", f)
	}
	if same, changed, _ := rp.build(c1, spec); changed || same != c1 {
		t.Errorf("the same files committed again: %s, %v", same, changed)
	}
	spec.files = map[string][]byte{"b.yaml": []byte("b")}
	c2, _, _ := rp.build(c1, spec)
	if f, _ := rp.filesAt(c2, "apps/web"); len(f) != 1 || string(f["b.yaml"]) != "b" {
		t.Errorf("apps/web after replace: %v", f)
	}
	spec.files = nil
	c3, _, _ := rp.build(c2, spec)
	commit, _ := object.GetCommit(r.Storer, c3)
	tree, _ := commit.Tree()
	if _, err := tree.FindEntry("apps"); err == nil {
		t.Errorf("apps/ is left after its only folder was removed")
	}
	if commit.ParentHashes[0] != c2 {
		t.Errorf("parent %s, want %s", commit.ParentHashes[0], c2)
	}
}

func TestTrailers(t *testing.T) {
	tr := trailers("kship: release a/web revision 3\n\nbody text: not a trailer? yes\n\nKship-Release: a/web\nKship-Revision: 3\n")
	if tr["Kship-Release"] != "a/web" || tr["Kship-Revision"] != "3" {
		t.Errorf("trailers %v", tr)
	}
}
