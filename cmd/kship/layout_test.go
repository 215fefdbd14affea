package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kship/kship/internal/"

// front ends may import any number of kship packages (docs/architecture.md,
// "Rules the layout keeps").
var front = map[string]bool{"release": true, "cli": true}

// TestPackageLayout keeps the layout rules of docs/architecture.md: no
// package but release and cli imports more than three other kship packages
// unless its doc comment names each of them (saying why), and view imports
// only event.
func TestPackageLayout(t *testing.T) {
	pkgs := readPackages(t, filepath.Join("..", "..", "internal"))
	if len(pkgs) < 20 {
		t.Fatalf("read %d packages under internal/, want the whole tree", len(pkgs))
	}
	for name, p := range pkgs {
		if len(p.imports) > 3 && !front[name] {
			for _, imp := range p.imports {
				if !regexp.MustCompile(`\b` + imp + `\b`).MatchString(p.doc) {
					t.Errorf("package %s imports %d kship packages (%s) and its doc comment does not name %s: say why it needs it",
						name, len(p.imports), strings.Join(p.imports, ", "), imp)
				}
			}
		}
	}
	if v := pkgs["view"]; v == nil || strings.Join(v.imports, ",") != "event" {
		t.Errorf("view imports %v of kship, want only event", v)
	}
}

type pkgInfo struct {
	imports []string // kship packages it imports, sorted
	doc     string   // its package doc comment(s)
}

// readPackages reads the imports and doc comments of the non-test Go files
// of each package folder under dir.
func readPackages(t *testing.T, dir string) map[string]*pkgInfo {
	t.Helper()
	out := map[string]*pkgInfo{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, filepath.Dir(path))
		name := filepath.ToSlash(rel)
		p := out[name]
		if p == nil {
			p = &pkgInfo{}
			out[name] = p
		}
		if f.Doc != nil {
			p.doc += f.Doc.Text()
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if dep, ok := strings.CutPrefix(path, module); ok && dep != name && !slices.Contains(p.imports, dep) {
				p.imports = append(p.imports, dep)
			}
		}
		sort.Strings(p.imports)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
