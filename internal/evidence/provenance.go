package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
)

// Provenance is what a change ticket needs to say who changed what, where,
// with which tool: evidence.json's "provenance" and the report's first
// table.
type Provenance struct {
	// User and Host ran kship.
	User string `json:"user"`
	Host string `json:"host"`
	// KshipVersion is the version of the kship binary.
	KshipVersion string `json:"kshipVersion"`
	// Context, Server and KubernetesVersion name the cluster.
	Context           string `json:"context,omitempty"`
	Server            string `json:"server,omitempty"`
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// ReleaseFileDigest is the SHA-256 of the release file's bytes;
	// ObjectsDigest of the rendered objects (ObjectsDigest).
	ReleaseFileDigest string `json:"releaseFileDigest,omitempty"`
	ObjectsDigest     string `json:"objectsDigest,omitempty"`
	// Source is the git commit of the release's source (spec.source.path
	// or the Helm chart), when it is in a git work tree.
	Source *GitSource `json:"source,omitempty"`
	// ReleaseFileSource is the git commit of the release file's folder
	// when that is not Source's (the release file kept in another
	// repository, or the source in none).
	ReleaseFileSource *GitSource `json:"releaseFileSource,omitempty"`
	// Images are the container images of each workload, before and after.
	Images []ImageChange `json:"images,omitempty"`
}

// GitSource is the commit a release's folder was at.
type GitSource struct {
	Commit string `json:"commit"`
	// Branch is the checked-out branch ("" when HEAD is detached).
	Branch string `json:"branch,omitempty"`
	// Dirty is true when the work tree had changes not committed: the
	// commit alone does not reproduce what was shipped.
	Dirty bool `json:"dirty"`
}

// Image is one container's image in one workload.
type Image struct {
	// Object is the workload ("Deployment shop/web"); Container its
	// container (init containers as "init:NAME").
	Object    string `json:"object"`
	Container string `json:"container"`
	Image     string `json:"image"`
	// Digest is the image reference's pinned digest (…@sha256:…), ""
	// when the reference is a tag only: the tag may point elsewhere later.
	Digest string `json:"digest,omitempty"`
}

// ImageChange is a container's image before and after the attempt; Before
// is empty for a new container, After for a removed one.
type ImageChange struct {
	Object       string `json:"object"`
	Container    string `json:"container"`
	Before       string `json:"before,omitempty"`
	BeforeDigest string `json:"beforeDigest,omitempty"`
	After        string `json:"after,omitempty"`
	AfterDigest  string `json:"afterDigest,omitempty"`
}

// Changed reports whether the container's image differs.
func (c ImageChange) Changed() bool { return c.Before != c.After }

// podSpecPaths are where each workload kind keeps its pod spec.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

// Images lists the container images of the workloads among objs, sorted
// by object and container.
func Images(objs []manifest.Object) []Image {
	var out []Image
	for _, o := range objs {
		path, ok := podSpecPaths[o.Obj.GetKind()]
		if !ok {
			continue
		}
		spec, ok, _ := unstructured.NestedMap(o.Obj.Object, path...)
		if !ok {
			continue
		}
		name := o.Ref().String()
		for _, field := range []string{"initContainers", "containers"} {
			list, _, _ := unstructured.NestedSlice(spec, field)
			for _, c := range list {
				m, _ := c.(map[string]any)
				cname, _ := m["name"].(string)
				img, _ := m["image"].(string)
				if field == "initContainers" {
					cname = "init:" + cname
				}
				out = append(out, Image{Object: name, Container: cname, Image: img, Digest: digestOf(img)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Object != out[j].Object {
			return out[i].Object < out[j].Object
		}
		return out[i].Container < out[j].Container
	})
	return out
}

// digestOf is the pinned digest of an image reference, "" for a tag.
func digestOf(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	return ""
}

// ImageChanges pairs the images of two revisions by object and container.
func ImageChanges(before, after []manifest.Object) []ImageChange {
	type key struct{ object, container string }
	byKey := map[key]*ImageChange{}
	var keys []key
	at := func(i Image) *ImageChange {
		k := key{i.Object, i.Container}
		c, ok := byKey[k]
		if !ok {
			c = &ImageChange{Object: i.Object, Container: i.Container}
			byKey[k] = c
			keys = append(keys, k)
		}
		return c
	}
	for _, i := range Images(before) {
		c := at(i)
		c.Before, c.BeforeDigest = i.Image, i.Digest
	}
	for _, i := range Images(after) {
		c := at(i)
		c.After, c.AfterDigest = i.Image, i.Digest
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].object != keys[j].object {
			return keys[i].object < keys[j].object
		}
		return keys[i].container < keys[j].container
	})
	out := make([]ImageChange, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	return out
}

// ObjectsDigest is the SHA-256 of the rendered objects: each object's
// JSON (keys sorted), the objects in order of their names, so the same
// objects give the same digest whatever order the files listed them in.
func ObjectsDigest(objs []manifest.Object) string {
	docs := make([]string, 0, len(objs))
	for _, o := range objs {
		b, err := json.Marshal(o.Obj.Object)
		if err != nil {
			b = []byte(err.Error())
		}
		docs = append(docs, o.Ref().String()+"\n"+string(b))
	}
	sort.Strings(docs)
	h := sha256.New()
	for _, d := range docs {
		fmt.Fprintf(h, "%d\n%s", len(d), d)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// BytesDigest is the SHA-256 of b, as "sha256:…".
func BytesDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// SourceCommit is the git commit of the work tree dir is in (found upward,
// like git), nil when dir is in none or its HEAD has no commit yet.
func SourceCommit(dir string) (*GitSource, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("git work tree of %s: %w", dir, err)
	}
	head, err := repo.Head()
	if err != nil {
		return nil, nil // no commit yet
	}
	src := &GitSource{Commit: head.Hash().String()}
	if head.Name().IsBranch() {
		src.Branch = head.Name().Short()
	}
	if wt, err := repo.Worktree(); err == nil {
		if st, err := wt.Status(); err == nil {
			src.Dirty = !st.IsClean()
		}
	}
	return src, nil
}
