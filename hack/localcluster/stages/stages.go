// Package stages holds the KWOK Stage files that simulate kubelet behaviour
// in the local environment: nodes Ready with leases, pods Running and Ready
// about 1 s after scheduling, run-to-completion pods Succeeded, graceful
// deletion, and the failure behaviours chosen by the pod label
// sim.kship.dev/behavior (crashloop, imagepullbackoff, unready, oomkilled,
// fail).
package stages

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// BehaviorLabel is the pod label that selects a simulated failure behaviour.
const BehaviorLabel = "sim.kship.dev/behavior"

// Config returns all Stage files as one multi-document YAML stream, in file
// name order, ready to pass to kwok --config.
func Config() ([]byte, error) {
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list stages: %w", err)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read stage %s: %w", name, err)
		}
		b.WriteString("---\n# " + name + "\n")
		b.Write(data)
		if !strings.HasSuffix(string(data), "\n") {
			b.WriteString("\n")
		}
	}
	return []byte(b.String()), nil
}
