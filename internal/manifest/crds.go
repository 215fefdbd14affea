package manifest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/input"
)

// CRDSources is what the release's spec.check.crds (and --crds) name: the
// CustomResourceDefinitions of files and folders outside the bundle, the
// schemas of custom resources whose CRD lives in the cluster, and what was
// passed over in those folders.
type CRDSources struct {
	// CRDs are the CRD objects read (apiextensions.k8s.io v1 or v1beta1),
	// each with its file (relative to the release file's folder) and line.
	CRDs []Object
	// Paths are the paths named, as written.
	Paths []string
	// Skipped are the files of the folders that hold no CRD, with why.
	Skipped []string
}

// ReadCRDs reads the CRDs that spec.check.crds names: a file must hold
// CRDs only (a List of them included, as kubectl get crd -o yaml writes);
// a folder is read like a source folder (nested folders, .yaml, .yml and
// .json), its files without a CRD passed over and listed in Skipped. A path
// that does not exist, or a file with something other than CRDs, is an
// *Error naming it. The files are read within the release's limits (a
// budget of their own, apart from the source's).
func ReadCRDs(rel *config.Release) (*CRDSources, error) {
	out := &CRDSources{Paths: rel.Spec.Check.CRDs}
	rd := input.NewReader(rel.InputLimits())
	var bad errs
	for _, p := range rel.Spec.Check.CRDs {
		path := resolve(rel.Dir, p)
		st, err := os.Stat(path)
		if err != nil {
			bad.add(Location{}, "spec.check.crds/--crds: %s: no such file or folder (give files or folders of CustomResourceDefinitions)", p)
			continue
		}
		if !st.IsDir() {
			data, err := rd.ReadFile(path)
			if err != nil {
				bad = appendErr(bad, readError(rel.Dir, "spec.check.crds/--crds: ", err))
				continue
			}
			objs, err := Decode(relPath(rel.Dir, path), data)
			bad = appendErr(bad, err)
			for _, o := range objs {
				if !isCRD(o) {
					bad.add(o.Source, "spec.check.crds/--crds: %s %s is not a CustomResourceDefinition; give CRDs only", o.Obj.GetKind(), o.Obj.GetName())
					continue
				}
				out.CRDs = append(out.CRDs, o)
			}
			continue
		}
		if err := out.readFolder(rel.Dir, path, rd, &bad); err != nil {
			bad.add(Location{File: relPath(rel.Dir, path)}, "spec.check.crds/--crds: %v", err)
		}
	}
	return out, bad.err()
}

func (s *CRDSources) readFolder(dir, root string, rd *input.Reader, bad *errs) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if read, err := manifestEntry(root, path, d); !read {
			return err
		}
		file := relPath(dir, path)
		data, err := rd.ReadFile(path)
		if err != nil {
			*bad = appendErr(*bad, readError(dir, "spec.check.crds/--crds: ", err))
			return nil
		}
		objs, err := Decode(file, data)
		n := 0
		for _, o := range objs {
			if isCRD(o) {
				s.CRDs = append(s.CRDs, o)
				n++
			}
		}
		switch {
		case n == 0 && err != nil:
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s (not Kubernetes manifests)", file))
		case n == 0:
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s (no CustomResourceDefinition)", file))
		}
		return nil
	})
}

func isCRD(o Object) bool { return o.GVK().GroupKind() == crdKind }
