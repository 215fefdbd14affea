package main

import (
	"go/ast"
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

// TestArchitectureNamesExist keeps docs/architecture.md true: every
// `pkg.Name` or `pkg.Type.Method` (or field) it writes is declared in that
// kship package, and every `pkg/file.go` it names exists under internal/.
func TestArchitectureNamesExist(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	internal := filepath.Join("..", "..", "internal")
	decls := map[string]map[string]bool{}
	checked := 0
	for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(string(doc), -1) {
		span := m[1]
		if f := regexp.MustCompile(`^([a-z]+/[a-z_]+\.go)$`).FindStringSubmatch(span); f != nil {
			checked++
			if _, err := os.Stat(filepath.Join(internal, f[1])); err != nil {
				t.Errorf("docs/architecture.md names %s, which is not under internal/", f[1])
			}
			continue
		}
		n := regexp.MustCompile(`^([a-z]+)\.([A-Z]\w*(?:\.[A-Z]\w*)?)(?:\(\))?$`).FindStringSubmatch(span)
		if n == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(internal, n[1])); err != nil {
			continue // not a kship package (context.Context)
		}
		if decls[n[1]] == nil {
			decls[n[1]] = declared(t, filepath.Join(internal, n[1]))
		}
		checked++
		if !decls[n[1]][n[2]] {
			t.Errorf("docs/architecture.md names %s.%s, which package %s does not declare", n[1], n[2], n[1])
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d names of docs/architecture.md, want at least 20", checked)
	}
}

// declared is every top-level name of the non-test files of a package
// folder, methods and struct fields as Type.Name.
func declared(t *testing.T, dir string) map[string]bool {
	t.Helper()
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					name := d.Name.Name
					if d.Recv != nil && len(d.Recv.List) == 1 {
						name = recvName(d.Recv.List[0].Type) + "." + name
					}
					out[name] = true
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.TypeSpec:
							out[s.Name.Name] = true
							if st, ok := s.Type.(*ast.StructType); ok {
								for _, f := range st.Fields.List {
									for _, id := range f.Names {
										out[s.Name.Name+"."+id.Name] = true
									}
								}
							}
						case *ast.ValueSpec:
							for _, id := range s.Names {
								out[id.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return out
}

func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return recvName(e.X)
	case *ast.IndexExpr:
		return recvName(e.X)
	case *ast.IndexListExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}
