package gitops

import (
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/rollout"
)

// The prepare checks refuse a Kustomization that would never apply
// kship's commit, and warn where it would apply it only in part.
func TestKustomizationChecks(t *testing.T) {
	g := &config.GitOps{Repository: "http://git.example/team/app.git", Branch: "main", Path: "apps/web",
		Kustomization: &config.ObjectRef{Namespace: "flux-system", Name: "web"}}
	src := func(url, branch string) string {
		return "apiVersion: v1\nkind: GitRepository\nmetadata: {name: app, namespace: flux-system}\nspec: {url: " + url + ", ref: {branch: " + branch + "}}\n"
	}
	kust := func(spec string) string {
		return "apiVersion: v1\nkind: Kustomization\nmetadata: {name: web, namespace: flux-system, generation: 1}\nspec: {sourceRef: {kind: GitRepository, name: app}, " + spec + "}\n"
	}
	tests := []struct {
		name, k, src string
		blocking     []string
		warnings     []string
	}{
		{"matches", kust("path: ./apps/web, prune: true"), src("http://GIT.example/team/app", "main"), nil, nil},
		{"another repository", kust("path: ./apps/web, prune: true"), src("http://git.example/other.git", "main"), []string{"not spec.gitops.repository"}, nil},
		{"another branch", kust("path: ./apps/web, prune: true"), src("http://git.example/team/app.git", "prod"), []string{`follows branch "prod"`}, nil},
		{"another folder", kust("path: ./apps/api, prune: true"), src("http://git.example/team/app.git", "main"), []string{"does not hold spec.gitops.path"}, nil},
		{"a parent folder", kust("path: ./, prune: true"), src("http://git.example/team/app.git", "main"), nil, []string{"a parent of kship's folder"}},
		{"suspended, no prune", kust("path: ./apps/web, suspend: true"), src("http://git.example/team/app.git", "main"), []string{"is suspended"}, []string{"spec.prune false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks := kustomizationChecks(obj(t, tt.k), obj(t, tt.src), g, "apps/web")
			has := func(want string, pick func(rollout.Check) bool) bool {
				for _, c := range checks {
					if pick(c) && strings.Contains(c.Message, want) {
						return true
					}
				}
				return false
			}
			nb, nw := 0, 0
			for _, c := range checks {
				if c.Blocking {
					nb++
				}
				if c.Warning {
					nw++
				}
			}
			if nb != len(tt.blocking) || nw != len(tt.warnings) {
				t.Errorf("%d blocking, %d warnings: %+v", nb, nw, checks)
			}
			for _, w := range tt.blocking {
				if !has(w, func(c rollout.Check) bool { return c.Blocking }) {
					t.Errorf("no blocking check %q in %+v", w, checks)
				}
			}
			for _, w := range tt.warnings {
				if !has(w, func(c rollout.Check) bool { return c.Warning }) {
					t.Errorf("no warning %q in %+v", w, checks)
				}
			}
		})
	}
}
