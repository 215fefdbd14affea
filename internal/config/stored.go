package config

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// ParseStored parses a release file kept with a revision (named for errors
// by name), defaults filled, for the checks and timeouts of a rollback to
// that revision. Its source is replaced by "." before parsing: the
// revision's manifests are stored with it, and the folder they were
// rendered from may be gone. A Helm source is kept without its chart
// and values files (a rollback does not render them again): with spec.mechanism helm it names the Helm release a rollback
// restores, and its history bound.
func ParseStored(name string, data []byte) (*Release, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if spec, ok := doc["spec"].(map[string]any); ok {
		src := map[string]any{"path": "."}
		if old, ok := spec["source"].(map[string]any); ok {
			if h, ok := old["helm"].(map[string]any); ok {
				h["chart"] = "." // the chart and values files are not read again
				delete(h, "values")
				src = map[string]any{"helm": h}
			}
		}
		spec["source"] = src
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return Parse(name, out, os.TempDir())
}
