package gitops

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/manifest"
)

// KustomizationFile is the file kship writes at its path, listing the
// object files: it makes the path a kustomize root of its own, so a
// Kustomization may point at the path or at a folder whose
// kustomization.yaml names it.
const KustomizationFile = "kustomization.yaml"

// fileHeader opens every file kship writes: whoever opens the repository
// sees who owns the folder.
const fileHeader = "# Written by kship for release %s; kship replaces this folder on every release of it.\n"

// Files renders objs as the files of kship's path: one YAML file per
// object, named after its kind and name (with its namespace, then its
// group, when two objects would share a file), and kustomization.yaml
// listing them in objs' order (apply order). The same objects always give
// the same bytes, so a revision with nothing new commits nothing, and a
// rollback writes exactly the files of the revision it restores.
func Files(release string, objs []manifest.Object) (map[string][]byte, error) {
	names := fileNames(objs)
	files := make(map[string][]byte, len(objs)+1)
	header := fmt.Sprintf(fileHeader, release)
	for i, o := range objs {
		y, err := yaml.Marshal(o.Obj.Object)
		if err != nil {
			return nil, fmt.Errorf("%s: encode: %w", o.Ref(), err)
		}
		files[names[i]] = append([]byte(header), y...)
	}
	var k strings.Builder
	k.WriteString(header)
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, n := range names {
		fmt.Fprintf(&k, "  - %s\n", n)
	}
	if len(objs) == 0 {
		return map[string][]byte{}, nil
	}
	files[KustomizationFile] = []byte(k.String())
	return files, nil
}

// fileNames names each object's file: kind-name.yaml, lower case; where two
// objects would share that name, kind-namespace-name.yaml, then
// group-kind-namespace-name.yaml.
func fileNames(objs []manifest.Object) []string {
	forms := []func(manifest.Ref) string{
		func(r manifest.Ref) string { return join(r.Kind, r.Name) },
		func(r manifest.Ref) string { return join(r.Kind, r.Namespace, r.Name) },
		func(r manifest.Ref) string { return join(r.Group, r.Kind, r.Namespace, r.Name) },
	}
	out := make([]string, len(objs))
	level := make([]int, len(objs))
	for {
		count := map[string]int{}
		for i, o := range objs {
			out[i] = forms[level[i]](o.Ref()) + ".yaml"
			count[out[i]]++
		}
		changed := false
		for i := range objs {
			if count[out[i]] > 1 && level[i] < len(forms)-1 {
				level[i]++
				changed = true
			}
		}
		if !changed {
			return out
		}
	}
}

// join joins the non-empty parts with "-", lower case, with every
// character outside [a-z0-9.-] replaced by "-".
func join(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	s := strings.ToLower(strings.Join(keep, "-"))
	return strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// sortedNames returns the keys of files, sorted.
func sortedNames(files map[string][]byte) []string {
	out := make([]string, 0, len(files))
	for n := range files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
