package evidence

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
)

// DefaultKeepPlans is how many check/plan folders (plan-<time>) kship keeps
// per release when nothing says otherwise: the newest, the one just
// written included. Deploy, rollback and drill bundles
// (<revision>-<time>) are never removed: a revision's record points at
// its bundle.
const DefaultKeepPlans = 20

// planFolder matches the folders kship check and kship plan write:
// plan-<UTC time>, or plan-<time>-<n> for a second run within a second.
var planFolder = regexp.MustCompile(`^plan-(\d{8}T\d{6}Z)(?:-(\d+))?$`)

// PrunePlans removes the oldest check/plan folders of one release's
// evidence folder (<evidence-dir>/<release>) beyond the newest keep (keep
// < 1 keeps every one), never current, nor anything whose name is not
// kship's plan-<time>. It returns the folders removed.
func PrunePlans(releaseDir string, keep int, current string) ([]string, error) {
	if keep < 1 {
		return nil, nil
	}
	entries, err := os.ReadDir(releaseDir)
	if err != nil {
		return nil, fmt.Errorf("evidence folder %s: %w", releaseDir, err)
	}
	type folder struct {
		name, at string
		n        int
	}
	var plans []folder
	for _, e := range entries {
		m := planFolder.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		plans = append(plans, folder{name: e.Name(), at: m[1], n: n})
	}
	// Newest first: by time, then by the -n of runs within one second.
	sort.Slice(plans, func(i, j int) bool {
		if plans[i].at != plans[j].at {
			return plans[i].at > plans[j].at
		}
		return plans[i].n > plans[j].n
	})
	var removed []string
	kept := 0
	for _, f := range plans {
		path := filepath.Join(releaseDir, f.name)
		if kept < keep || filepath.Clean(path) == filepath.Clean(current) {
			kept++
			continue
		}
		if err := os.RemoveAll(path); err != nil {
			return removed, fmt.Errorf("remove old check/plan folder %s: %w", path, err)
		}
		removed = append(removed, path)
	}
	return removed, nil
}
