package manifest

import (
	"context"
	"fmt"
	"path/filepath"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/input"
)

const originAnnotation = "config.kubernetes.io/origin"

// renderKustomization builds the kustomization in kdir with kustomize's
// library on the real filesystem (plugins disabled, loading restricted to
// the kustomization's folder, as `kubectl kustomize` does), every file
// kustomize reads going through rd (boundedFS). Each object's
// source is the file it came from, found through kustomize's origin
// tracking, and the line of its document in that file where it can be
// matched; objects made by generators point at the kustomization file.
func renderKustomization(ctx context.Context, dir, kdir string, rd *input.Reader) ([]Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kfile := filepath.Join(kdir, kustomizationFile(kdir))
	bounded := &boundedFS{FileSystem: filesys.MakeFsOnDisk(), rd: rd}
	fs := &originFS{FileSystem: bounded, kfile: kfile}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, kdir)
	if err != nil {
		if bounded.refused != nil { // the file kship refused, not kustomize's account of it
			return nil, readError(dir, "", bounded.refused)
		}
		return nil, &Error{Source: Location{File: relPath(dir, kfile)}, Msg: "kustomize build failed: " + err.Error()}
	}
	lines := &Lines{Read: rd.ReadFile}
	var objs []Object
	var bad errs
	for _, r := range m.Resources() {
		o, err := fromResource(r, dir, kdir, kfile, fs.userOrigins)
		if err != nil {
			bad = appendErr(bad, err)
			continue
		}
		o.Source.Line = lines.Object(filepath.Join(dir, o.Source.File), o)
		objs = append(objs, o)
	}
	return objs, bad.err()
}

// fromResource converts one kustomize resource, taking its origin from the
// origin annotation (removed again unless the kustomization asked for it).
func fromResource(r *resource.Resource, dir, kdir, kfile string, keepOrigin bool) (Object, error) {
	src := Location{File: relPath(dir, kfile)}
	if origin, err := r.GetOrigin(); err == nil && origin != nil {
		switch {
		case origin.Repo != "":
			src.File = origin.Repo + "//" + origin.Path
		case origin.Path != "":
			src.File = relPath(dir, filepath.Join(kdir, origin.Path))
		case origin.ConfiguredIn != "":
			src.File = relPath(dir, filepath.Join(kdir, origin.ConfiguredIn))
		}
	}
	y, err := r.AsYAML()
	if err != nil {
		return Object{}, &Error{Source: src, Msg: "kustomize output: " + err.Error()}
	}
	objs, err := Decode(src.File, y)
	if err != nil {
		return Object{}, err
	}
	if len(objs) != 1 {
		return Object{}, &Error{Source: src, Msg: fmt.Sprintf("kustomize produced %d objects from one resource", len(objs))}
	}
	o := objs[0]
	o.Source = src
	if !keepOrigin {
		ann := o.Obj.GetAnnotations()
		delete(ann, originAnnotation)
		if len(ann) == 0 {
			ann = nil
		}
		o.Obj.SetAnnotations(ann)
	}
	return o, nil
}

// originFS is the disk filesystem, except that reading the root
// kustomization turns on origin annotations, so every object can be traced
// to its file.
type originFS struct {
	filesys.FileSystem
	kfile       string
	userOrigins bool
}

// ReadFile reads a file; the root kustomization gets buildMetadata
// originAnnotations added.
func (f *originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || filepath.Clean(path) != f.kfile {
		return data, err
	}
	var k map[string]any
	if yaml.Unmarshal(data, &k) != nil || k == nil {
		return data, nil // let kustomize report the error in its words
	}
	meta, _ := k["buildMetadata"].([]any)
	for _, m := range meta {
		if m == types.OriginAnnotations {
			f.userOrigins = true
			return data, nil
		}
	}
	k["buildMetadata"] = append(meta, types.OriginAnnotations)
	return yaml.Marshal(k)
}
