package manifest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/input"
)

// Load renders the release's source into one set of objects: a plain folder
// of YAML/JSON, a kustomization, or a Helm chart. Objects without a
// namespace get the release's namespace when their kind is namespaced
// (decided by the built-in table, the bundle's CRDs, then mapper, which may
// be nil offline). A namespace on a cluster-scoped object and an object
// defined twice are errors naming the places. Every object keeps the file
// (relative to the release file's folder) and line it came from. Every
// file is read through one input.Reader with the release's limits
// (config.Release.InputLimits): regular files only, bounded per file and
// for the release together.
func Load(ctx context.Context, rel *config.Release, mapper meta.RESTMapper) ([]Object, error) {
	r, err := Render(ctx, rel, mapper)
	if err != nil {
		return nil, err
	}
	return r.Objects, nil
}

// Rendered is the outcome of rendering a source: the objects kship will
// apply, and what the source holds that kship leaves out, with why.
type Rendered struct {
	Objects []Object
	Skipped []Skipped
}

// Skipped is something a source renders that kship does not apply.
type Skipped struct {
	Ref    Ref      `json:"ref"`
	Source Location `json:"source"`
	Reason string   `json:"reason"`
}

// Render is Load, also reporting what was left out (Helm hooks), so a
// caller can show it rather than drop it silently. The CRDs of
// spec.check.crds tell the scope of custom resources the bundle's CRDs do
// not define.
func Render(ctx context.Context, rel *config.Release, mapper meta.RESTMapper) (*Rendered, error) {
	r, err := render(ctx, rel, input.NewReader(rel.InputLimits()))
	if err != nil {
		return nil, err
	}
	if len(r.Objects) == 0 {
		// An empty release would prune everything of the previous one.
		return nil, fmt.Errorf("the source of release %s renders no objects; check spec.source", rel.Metadata.Name)
	}
	extra, err := ReadCRDs(rel)
	if err != nil {
		return nil, err
	}
	scope := NewScope(mapper, append(r.Objects[:len(r.Objects):len(r.Objects)], extra.CRDs...))
	if err := normalize(r.Objects, rel.Spec.Namespace, scope); err != nil {
		return nil, err
	}
	return r, nil
}

func render(ctx context.Context, rel *config.Release, rd *input.Reader) (*Rendered, error) {
	src := rel.Spec.Source
	if src.Helm != nil {
		return renderHelm(ctx, rel, rd)
	}
	objs, err := renderPath(ctx, rel, rd)
	if err != nil {
		return nil, err
	}
	return &Rendered{Objects: objs}, nil
}

func renderPath(ctx context.Context, rel *config.Release, rd *input.Reader) ([]Object, error) {
	src := rel.Spec.Source
	path := resolve(rel.Dir, src.Path)
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("spec.source.path: %w", err)
	}
	if !st.IsDir() && isKustomizationName(filepath.Base(path)) {
		path, st = filepath.Dir(path), nil
	}
	if st != nil && !st.IsDir() {
		data, err := rd.ReadFile(path)
		if err != nil {
			return nil, readError(rel.Dir, "", err)
		}
		return Decode(relPath(rel.Dir, path), data)
	}
	if _, err := os.Stat(filepath.Join(path, "Chart.yaml")); err == nil {
		return nil, &Error{Source: Location{File: relPath(rel.Dir, path)},
			Msg: fmt.Sprintf("this folder is a Helm chart: write source: {helm: {chart: %s}} instead of path", relPath(rel.Dir, path))}
	}
	if kustomizationFile(path) != "" {
		return renderKustomization(ctx, rel.Dir, path, rd)
	}
	return loadFolder(ctx, rel.Dir, path, rd)
}

func normalize(objs []Object, ns string, scope *Scope) error {
	var bad errs
	seen := make(map[Ref]Location, len(objs))
	for _, o := range objs {
		namespaced, _ := scope.IsNamespaced(o.GVK())
		switch {
		case namespaced && o.Obj.GetNamespace() == "":
			o.Obj.SetNamespace(ns)
		case !namespaced && o.Obj.GetNamespace() != "":
			bad.add(o.Source, "%s is cluster-scoped but sets metadata.namespace %q; remove it", o.Obj.GetKind()+" "+o.Obj.GetName(), o.Obj.GetNamespace())
			continue
		}
		ref := o.Ref()
		if first, dup := seen[ref]; dup {
			bad.add(o.Source, "%s is defined twice: here and at %s; keep one", ref, first)
			continue
		}
		seen[ref] = o.Source
	}
	return bad.err()
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// relPath names path relative to the release file's folder, with forward
// slashes, as it appears in messages. A path outside that folder (the
// release file names an absolute source elsewhere) is shown absolute:
// "../../srv/app/web.yaml" helps no one find the file.
func relPath(dir, path string) string {
	r, err := filepath.Rel(dir, path)
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(r)
}
