package config

import (
	"strings"
	"testing"
)

const gitopsHeader = header + "  source: {path: ./deploy}\n  mechanism: gitops\n"

func TestGitOpsDefaults(t *testing.T) {
	r, err := parse(t, gitopsHeader+"  gitops:\n    repository: https://git.example.com/team/app.git\n    path: apps/web\n    kustomization: {name: web}\n")
	if err != nil {
		t.Fatal(err)
	}
	g := r.Spec.GitOps
	if g.Engine != GitOpsFlux || g.Branch != "main" || g.Kustomization.Namespace != "flux-system" || g.Author.Name != "kship" {
		t.Errorf("defaults: %+v %+v %+v", g, g.Kustomization, g.Author)
	}
	if got := g.GitOpsTarget(); got != "path apps/web on branch main of https://git.example.com/team/app.git" {
		t.Errorf("target %q", got)
	}
}

func TestGitOpsErrors(t *testing.T) {
	repo := "    repository: https://git.example.com/team/app.git\n"
	tests := []struct{ name, src, want string }{
		{"no gitops", gitopsHeader, "gitops commits to a repository: set spec.gitops"},
		{"gitops without the mechanism", header + "  source: {path: ./deploy}\n  gitops: {repository: https://x/y.git, path: a, kustomization: {name: k}}\n",
			"spec.gitops: is read only with spec.mechanism gitops"},
		{"no repository", gitopsHeader + "  gitops: {path: apps/web, kustomization: {name: web}}\n", "spec.gitops.repository: is required"},
		{"ssh", gitopsHeader + "  gitops: {repository: \"ssh://git@h/x.git\", path: a, kustomization: {name: k}}\n", "ssh is not supported"},
		{"credentials in the URL", gitopsHeader + "  gitops: {repository: \"https://u:tok3n@h/x.git\", path: a, kustomization: {name: k}}\n", "never in the URL"},
		{"root path", gitopsHeader + "  gitops:\n" + repo + "    path: ./\n    kustomization: {name: web}\n", "spec.gitops.path: is the repository's root"},
		{"escaping path", gitopsHeader + "  gitops:\n" + repo + "    path: ../other\n    kustomization: {name: web}\n", "must be a folder inside the repository"},
		{"no kustomization", gitopsHeader + "  gitops:\n" + repo + "    path: apps/web\n", "spec.gitops.kustomization: is required"},
		{"engine", gitopsHeader + "  gitops:\n" + repo + "    path: apps/web\n    engine: jenkins\n", `must be flux or argocd, not "jenkins"`},
		{"application with flux", gitopsHeader + "  gitops:\n" + repo + "    path: apps/web\n    kustomization: {name: web}\n    application: {name: web}\n", "spec.gitops.application: is for engine argocd"},
		{"both credentials", gitopsHeader + "  gitops:\n" + repo + "    path: apps/web\n    kustomization: {name: web}\n    credentials: {passwordEnv: T, secretRef: {namespace: a, name: b}}\n", "not both"},
		{"migrations", gitopsHeader + "  gitops:\n" + repo + "    path: apps/web\n    kustomization: {name: web}\n  migrations: [{job: m, type: forward-only}]\n", "spec.migrations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "tok3n") {
				t.Errorf("the error repeats the token: %v", err)
			}
		})
	}
}

func TestCleanRepoPath(t *testing.T) {
	for in, want := range map[string]string{"./apps/web/": "apps/web", "apps//web": "apps/web", ".": ".", `apps\web`: "apps/web"} {
		if got, ok := CleanRepoPath(in); !ok || got != want {
			t.Errorf("CleanRepoPath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"/abs", "..", "../x", "a/../../x"} {
		if _, ok := CleanRepoPath(in); ok {
			t.Errorf("CleanRepoPath(%q) is inside", in)
		}
	}
}
