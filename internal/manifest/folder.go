package manifest

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/input"
)

// kustomizationNames are the file names that make a folder a kustomization.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// kustomizationFile returns the kustomization file of dir, or "".
func kustomizationFile(dir string) string {
	for _, n := range kustomizationNames {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			return n
		}
	}
	return ""
}

// loadFolder decodes every .yaml, .yml and .json file under root, nested
// folders included, in lexical order of their paths; hidden files and
// folders are skipped. A kustomization below root is an error: kship would
// otherwise read its kustomization.yaml as a manifest. Linked folders are
// not followed; a manifest name that is not a regular file (a FIFO, a link
// to a device or a folder) is refused by rd, naming it, as is a file over
// the limits; every refusal is reported.
func loadFolder(ctx context.Context, dir, root string, rd *input.Reader) ([]Object, error) {
	var objs []Object
	var bad errs
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if read, err := manifestEntry(root, path, d); !read {
			return err
		}
		file := relPath(dir, path)
		if isKustomizationName(d.Name()) {
			bad.add(Location{File: file}, "a kustomization inside a plain folder of manifests; point spec.source.path at %s instead", relPath(dir, filepath.Dir(path)))
			return nil
		}
		data, err := rd.ReadFile(path)
		if err != nil {
			bad = appendErr(bad, readError(dir, "", err))
			return nil
		}
		o, err := Decode(file, data)
		objs = append(objs, withoutReleaseFiles(o)...)
		bad = appendErr(bad, err)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	return objs, nil
}

func isManifestFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return name == "Kustomization"
}

func isKustomizationName(name string) bool {
	for _, n := range kustomizationNames {
		if name == n {
			return true
		}
	}
	return false
}

// appendErr adds the errors of a Decode call to bad.
func appendErr(bad errs, err error) errs {
	switch e := err.(type) {
	case nil:
	case *Error:
		bad = append(bad, e)
	case ErrorList:
		bad = append(bad, e...)
	default:
		bad = append(bad, &Error{Msg: err.Error()})
	}
	return bad
}

// withoutReleaseFiles drops kship release files (kind Release of
// kship.dev), which may sit in the folder they describe.
func withoutReleaseFiles(objs []Object) []Object {
	out := objs[:0]
	for _, o := range objs {
		if o.Obj.GetAPIVersion() == config.APIVersion && o.Obj.GetKind() == config.Kind {
			continue
		}
		out = append(out, o)
	}
	return out
}

// manifestEntry says what a walk of a folder of manifests does with an
// entry: read it (a manifest file), pass over it, or skip it (a hidden
// folder: filepath.SkipDir). Hidden entries below root are left out.
func manifestEntry(root, path string, d fs.DirEntry) (bool, error) {
	name := d.Name()
	if path != root && strings.HasPrefix(name, ".") {
		if d.IsDir() {
			return false, filepath.SkipDir
		}
		return false, nil
	}
	return !d.IsDir() && isManifestFile(name), nil
}
