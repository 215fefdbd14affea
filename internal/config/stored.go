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
// rendered from may be gone.
func ParseStored(name string, data []byte) (*Release, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if spec, ok := doc["spec"].(map[string]any); ok {
		spec["source"] = map[string]any{"path": "."}
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return Parse(name, out, os.TempDir())
}
