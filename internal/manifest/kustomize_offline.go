package manifest

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/input"
)

// LoadOffline is Load without a cluster and without the network: a
// kustomization that names a remote base or resource (a git repository or
// a URL, which kustomize would fetch) is refused with the file and line
// that names it, before kustomize runs.
func LoadOffline(ctx context.Context, rel *config.Release) ([]Object, error) {
	src := rel.Spec.Source
	if src.Helm == nil {
		path := resolve(rel.Dir, src.Path)
		if st, err := os.Stat(path); err == nil && !st.IsDir() && isKustomizationName(filepath.Base(path)) {
			path = filepath.Dir(path)
		}
		if kustomizationFile(path) != "" {
			if err := remoteBases(rel.Dir, path, rel.InputLimits().File, map[string]bool{}); err != nil {
				return nil, err
			}
		}
	}
	return Load(ctx, rel, nil)
}

// remoteBases walks a kustomization and the local ones it includes and
// reports every entry of resources, bases and components that kustomize
// would fetch over the network.
func remoteBases(dir, kdir string, limit int64, seen map[string]bool) error {
	if seen[kdir] {
		return nil
	}
	seen[kdir] = true
	kfile := filepath.Join(kdir, kustomizationFile(kdir))
	data, err := input.ReadFile(kfile, limit)
	if err != nil {
		return nil // Load reports it
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var bad errs
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		field, list := root.Content[i].Value, root.Content[i+1]
		if (field != "resources" && field != "bases" && field != "components") || list.Kind != yaml.SequenceNode {
			continue
		}
		for _, n := range list.Content {
			entry := n.Value
			local := filepath.Join(kdir, entry)
			if isRemote(entry, local) {
				bad.add(Location{File: relPath(dir, kfile), Line: n.Line},
					"%s: %s is remote: --offline fetches nothing over the network; vendor it into the repository (kustomize localize) or check without --offline", field, entry)
				continue
			}
			if st, err := os.Stat(local); err == nil && st.IsDir() && kustomizationFile(local) != "" {
				if err := remoteBases(dir, local, limit, seen); err != nil {
					bad = appendErr(bad, err)
				}
			}
		}
	}
	return bad.err()
}

// isRemote reports whether kustomize would fetch a resources entry: a URL,
// or a git repository spec (github.com/org/repo, git@host:org/repo,
// anything with ?ref=), as opposed to a path on disk.
func isRemote(entry, local string) bool {
	if strings.Contains(entry, "://") || strings.HasPrefix(entry, "git@") ||
		strings.Contains(entry, "?ref=") || strings.Contains(entry, "?version=") {
		return true
	}
	if _, err := os.Stat(local); err == nil {
		return false
	}
	host, _, _ := strings.Cut(entry, "/")
	return strings.Contains(host, ".") && host != "." && host != ".." && strings.Count(entry, "/") >= 2
}
