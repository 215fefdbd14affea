package manifest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/kship/kship/internal/input"
)

// maxDependencyDepth bounds how deep file:// dependencies may nest (a
// chart that names itself, or two that name each other, would not end).
const maxDependencyDepth = 10

// addLocalDependencies adds to chrt, loaded from the folder chartPath, each
// dependency of its Chart.yaml whose repository is `file://<path>` and
// that its charts/ folder does not already hold, loaded from that path
// (relative to the chart's folder) through rd, as `helm dependency build`
// would package it: the local chart's name must be the dependency's and
// its version must satisfy the dependency's version constraint. The
// dependencies of a local chart are resolved the same way, relative to
// its own folder. Dependencies from chart repositories are left to
// action.CheckDependencies (they must be vendored). Written here because
// Helm's own resolver of local dependencies is internal to its module and
// writes archives into the chart's charts/ folder.
func addLocalDependencies(rd *input.Reader, dir, chartPath string, chrt *chart.Chart, depth int) error {
	if st, err := os.Stat(chartPath); err != nil || !st.IsDir() {
		return nil // an archive: its dependencies are packaged in it
	}
	have := map[string]bool{}
	for _, d := range chrt.Dependencies() {
		have[d.Name()] = true
	}
	chartRel := relPath(dir, filepath.Join(chartPath, "Chart.yaml"))
	for _, d := range chrt.Metadata.Dependencies {
		local, ok := strings.CutPrefix(d.Repository, "file://")
		if !ok || have[d.Name] {
			continue
		}
		fail := func(format string, args ...any) error {
			return &Error{Source: Location{File: chartRel}, Msg: fmt.Sprintf("dependency %s (repository %s): ", d.Name, d.Repository) + fmt.Sprintf(format, args...)}
		}
		if depth >= maxDependencyDepth {
			return fail("file:// dependencies nest more than %d deep (a chart that depends on itself?)", maxDependencyDepth)
		}
		path := local
		if !filepath.IsAbs(path) {
			path = filepath.Join(chartPath, path)
		}
		if _, err := os.Stat(path); err != nil {
			return fail("no chart at %s", relPath(dir, path))
		}
		sub, err := loadChart(rd, dir, path)
		if err != nil {
			if me := (*Error)(nil); errors.As(err, &me) {
				return err
			}
			return fail("cannot load the chart at %s: %v", relPath(dir, path), err)
		}
		if sub.Name() != d.Name {
			return fail("the chart at %s is named %q", relPath(dir, path), sub.Name())
		}
		if d.Version != "" {
			c, err := semver.NewConstraint(d.Version)
			if err != nil {
				return fail("version %q is not a version constraint: %v", d.Version, err)
			}
			v, err := semver.NewVersion(sub.Metadata.Version)
			if err != nil || !c.Check(v) {
				return fail("the chart at %s has version %s, which does not satisfy %q", relPath(dir, path), sub.Metadata.Version, d.Version)
			}
		}
		if err := addLocalDependencies(rd, dir, path, sub, depth+1); err != nil {
			return err
		}
		chrt.AddDependency(sub)
		have[d.Name] = true
	}
	return nil
}
