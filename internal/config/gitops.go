package config

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// GitOps is where spec.mechanism gitops commits a revision and what applies
// it: kship commits the rendered manifests to Path on Branch of Repository
// and waits until the engine (Flux's Kustomization, or an Argo CD
// Application) has applied exactly that commit.
type GitOps struct {
	// Engine is what applies the commit: GitOpsFlux (default) or
	// GitOpsArgoCD.
	Engine string `json:"engine,omitempty"`
	// Repository is the repository's http(s) URL, without credentials
	// (those go in Credentials).
	Repository string `json:"repository"`
	// Branch is the branch kship commits to (default DefaultGitBranch).
	Branch string `json:"branch,omitempty"`
	// Path is the folder of the repository kship owns: each revision's
	// rendered manifests replace what it holds.
	Path string `json:"path"`
	// Kustomization is the Flux Kustomization that applies Path (engine
	// flux; namespace default DefaultFluxNamespace).
	Kustomization *ObjectRef `json:"kustomization,omitempty"`
	// Application is the Argo CD Application that syncs Path (engine
	// argocd; namespace default DefaultArgoCDNamespace).
	Application *ObjectRef `json:"application,omitempty"`
	// Author signs kship's commits (default DefaultGitAuthorName
	// <DefaultGitAuthorEmail>).
	Author *GitAuthor `json:"author,omitempty"`
	// Credentials authenticate the fetch and push; none for an open
	// repository. They are read when kship runs and never printed.
	Credentials *GitCredentials `json:"credentials,omitempty"`
}

// ObjectRef names a namespaced object.
type ObjectRef struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String is "namespace/name".
func (r ObjectRef) String() string { return r.Namespace + "/" + r.Name }

// GitAuthor is the author and committer of kship's commits.
type GitAuthor struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// GitCredentials say where the HTTP basic credentials (a username and a
// token or password) come from: exactly one of the environment or a Secret.
type GitCredentials struct {
	// UsernameEnv and PasswordEnv name environment variables of kship's
	// process (UsernameEnv may be empty: the username is then "git").
	UsernameEnv string `json:"usernameEnv,omitempty"`
	PasswordEnv string `json:"passwordEnv,omitempty"`
	// SecretRef is a Secret with the keys username and password, the
	// format of a Flux GitRepository's spec.secretRef (so the Secret Flux
	// fetches with can be the one kship pushes with).
	SecretRef *ObjectRef `json:"secretRef,omitempty"`
}

// GitOps engines.
const (
	GitOpsFlux   = "flux"
	GitOpsArgoCD = "argocd"
)

// GitOps defaults.
const (
	DefaultGitBranch       = "main"
	DefaultFluxNamespace   = "flux-system"
	DefaultArgoCDNamespace = "argocd"
	DefaultGitAuthorName   = "kship"
	DefaultGitAuthorEmail  = "kship@localhost"
)

// gitopsDefaults fills spec.gitops' defaults.
func gitopsDefaults(d *defaulter, g *GitOps) {
	if g == nil {
		return
	}
	d.str("spec.gitops.engine", &g.Engine, GitOpsFlux)
	d.str("spec.gitops.branch", &g.Branch, DefaultGitBranch)
	if g.Kustomization != nil {
		d.str("spec.gitops.kustomization.namespace", &g.Kustomization.Namespace, DefaultFluxNamespace)
	}
	if g.Application != nil {
		d.str("spec.gitops.application.namespace", &g.Application.Namespace, DefaultArgoCDNamespace)
	}
	if g.Author == nil {
		g.Author = &GitAuthor{Name: DefaultGitAuthorName, Email: DefaultGitAuthorEmail}
		d.filled = append(d.filled, Default{"spec.gitops.author", DefaultGitAuthorName + " <" + DefaultGitAuthorEmail + ">"})
	}
}

// gitopsMechanism checks what spec.mechanism gitops needs: spec.gitops, a
// repository, a path, the engine's object, and no kship migrations (the
// engine applies the path at once).
func (v *validator) gitopsMechanism(s *Spec) {
	g := s.GitOps
	if g == nil {
		v.fail("spec.mechanism", "gitops commits to a repository: set spec.gitops {repository, branch, path, kustomization: {namespace, name}}")
		return
	}
	v.gitRepository(g.Repository)
	if g.Path == "" {
		v.fail("spec.gitops.path", "is required: the folder of the repository kship writes the rendered manifests to (for example clusters/prod/web)")
	} else if p, ok := CleanRepoPath(g.Path); !ok {
		v.fail("spec.gitops.path", "%q must be a folder inside the repository (relative, no ..)", g.Path)
	} else if p == "." {
		v.fail("spec.gitops.path", "is the repository's root: kship replaces what its path holds, so give it a folder of its own (for example apps/%s)", s.Namespace)
	}
	switch g.Engine {
	case GitOpsFlux:
		v.objectRef("spec.gitops.kustomization", g.Kustomization, "the Flux Kustomization that applies the path")
		if g.Application != nil {
			v.fail("spec.gitops.application", "is for engine argocd; with engine flux set spec.gitops.kustomization")
		}
	case GitOpsArgoCD:
		v.objectRef("spec.gitops.application", g.Application, "the Argo CD Application that syncs the path")
		if g.Kustomization != nil {
			v.fail("spec.gitops.kustomization", "is for engine flux; with engine argocd set spec.gitops.application")
		}
	default:
		v.fail("spec.gitops.engine", "must be %s or %s, not %q", GitOpsFlux, GitOpsArgoCD, g.Engine)
	}
	if a := g.Author; a != nil && (a.Name == "" || !strings.Contains(a.Email, "@")) {
		v.fail("spec.gitops.author", "needs a name and an email (name: kship, email: kship@example.com)")
	}
	v.gitCredentials(g.Credentials)
	if len(s.Migrations) > 0 {
		v.fail("spec.migrations", "are run by mechanism apply; with spec.mechanism gitops the engine applies the path at once: put a migration Job in a Kustomization of its own that this one dependsOn")
	}
}

// gitRepository checks the repository URL: http(s), with a host, and no
// credentials in it.
func (v *validator) gitRepository(raw string) {
	const p = "spec.gitops.repository"
	if raw == "" {
		v.fail(p, "is required: the repository's http(s) URL, as the GitRepository's spec.url has it")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		v.fail(p, "is not a URL: write it like https://git.example.com/team/app.git")
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		v.fail(p, "%s: kship pushes over http or https (with a token in spec.gitops.credentials); %s is not supported", u.Redacted(), u.Scheme)
	}
	if u.User != nil {
		v.fail(p, "%s holds credentials: put them in spec.gitops.credentials (an environment variable or a Secret), never in the URL", u.Redacted())
	}
}

// objectRef checks a required reference to the engine's object.
func (v *validator) objectRef(p string, r *ObjectRef, what string) {
	if r == nil || r.Name == "" {
		v.fail(p, "is required: {namespace, name} of %s", what)
		return
	}
	v.dnsLabel(p+".namespace", r.Namespace)
}

// gitCredentials checks that credentials come from exactly one place.
func (v *validator) gitCredentials(c *GitCredentials) {
	if c == nil {
		return
	}
	env := c.UsernameEnv != "" || c.PasswordEnv != ""
	switch {
	case env && c.SecretRef != nil:
		v.fail("spec.gitops.credentials", "set one of usernameEnv/passwordEnv or secretRef, not both")
	case env && c.PasswordEnv == "":
		v.fail("spec.gitops.credentials.passwordEnv", "is required with usernameEnv: the environment variable that holds the token")
	case !env && c.SecretRef == nil:
		v.fail("spec.gitops.credentials", "set passwordEnv (and usernameEnv) or secretRef {namespace, name}")
	case c.SecretRef != nil:
		v.objectRef("spec.gitops.credentials.secretRef", c.SecretRef, "a Secret with the keys username and password")
	}
}

// CleanRepoPath is a repository path in its clean form ("apps/web", "."
// for the root) and whether it stays inside the repository.
func CleanRepoPath(p string) (string, bool) {
	p = path.Clean(strings.TrimPrefix(strings.ReplaceAll(p, `\`, "/"), "./"))
	if path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
		return p, false
	}
	return p, true
}

// GitOpsTarget names where a gitops release commits, for messages: "path P
// on branch B of R".
func (g *GitOps) GitOpsTarget() string {
	return fmt.Sprintf("path %s on branch %s of %s", g.Path, g.Branch, g.Repository)
}
