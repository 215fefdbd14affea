package mcp

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kship/kship/internal/config"
)

// Refusal is a request the server's guardrails refuse before anything is
// read from or written to the cluster (exit 2).
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

func refuse(format string, args ...any) *Refusal {
	return &Refusal{Reason: fmt.Sprintf(format, args...)}
}

// releaseFile resolves a release file a client names and checks it is
// one kship may read: inside a workspace folder, links resolved, and
// not a kubeconfig; so are the paths it names (source, chart, values,
// CRD files). It returns the absolute path and the loaded release.
func (s *Server) releaseFile(file string) (string, *config.Release, error) {
	if file == "" {
		return "", nil, refuse("give the release file (file: path/to/kship.yaml, inside the workspace %s)", strings.Join(s.o.Workspace, ", "))
	}
	abs := file
	if !filepath.IsAbs(abs) && len(s.o.Workspace) > 0 {
		abs = filepath.Join(s.o.Workspace[0], file)
	}
	abs = filepath.Clean(abs)
	if err := s.readable(abs, "the release file"); err != nil {
		return "", nil, err
	}
	rel, err := config.Load(abs)
	if err != nil {
		return "", nil, err
	}
	paths := map[string]string{}
	if rel.Spec.Source.Path != "" {
		paths["spec.source.path"] = rel.Spec.Source.Path
	}
	if h := rel.Spec.Source.Helm; h != nil {
		paths["spec.source.helm.chart"] = h.Chart
		for i, v := range h.Values {
			paths[fmt.Sprintf("spec.source.helm.values[%d]", i)] = v
		}
	}
	for i, c := range rel.Spec.Check.CRDs {
		paths[fmt.Sprintf("spec.check.crds[%d]", i)] = c
	}
	for field, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(rel.Dir, p)
		}
		if err := s.readable(filepath.Clean(p), field+" of "+abs); err != nil {
			return "", nil, err
		}
	}
	return abs, rel, nil
}

// readable refuses a path outside every workspace folder, or a kubeconfig.
func (s *Server) readable(path, what string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		real = path // a missing file is for the loader to name
	}
	for _, kc := range s.o.Kubeconfigs {
		if k, err := filepath.EvalSymlinks(kc); err == nil && (k == real || within(k, real)) {
			return refuse("%s %s is the kubeconfig: kship's MCP server never reads it as input", what, path)
		}
	}
	if base := filepath.Base(filepath.Dir(real)); base == ".kube" {
		return refuse("%s %s is in a .kube folder: kship's MCP server never reads kubeconfigs as input", what, path)
	}
	for _, w := range s.o.Workspace {
		if within(w, real) || within(w, filepath.Dir(real)) {
			return nil
		}
	}
	return refuse("%s %s is outside the workspace (%s): kship's MCP server reads release files only there (kship mcp --workspace DIR)",
		what, path, strings.Join(s.o.Workspace, ", "))
}
