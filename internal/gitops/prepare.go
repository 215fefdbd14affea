package gitops

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/rollout"
)

// checkEvidence says what the gitops checks read.
const checkEvidence = "the repository's branch (fetched with go-git) and the engine's object in the cluster"

// Prepare is the gitops mechanism's part of Plan and Prepare, before any
// write: the objects as the engine will apply them (the rendered ones),
// Flux's field manager (the plan's dry-runs predict Flux's apply), the
// plan's line (the commit: its branch, path, parent and files) and the
// checks that refuse a release kship could push but the engine would
// never apply (Secrets in the clear, a Kustomization that reads another
// repository, branch or folder, one that is suspended). Offline (no
// clients) neither the repository nor the engine is read.
func (m *Mechanism) Prepare(ctx context.Context, t rollout.Target) (*rollout.Preparation, error) {
	g := t.Release.Spec.GitOps
	if g == nil {
		return nil, fmt.Errorf("spec.mechanism gitops needs spec.gitops")
	}
	p := &rollout.Preparation{Objects: t.Objects, FieldManager: FieldManager}
	if err := refuseSecrets(t.Objects); err != nil {
		p.Checks = append(p.Checks, rollout.Check{Blocking: true, Message: err.Error(), Evidence: "the rendered objects"})
	}
	if m.Env.Clients == nil {
		p.Plan = fmt.Sprintf("a commit of these %d objects at %s (the branch is not read offline); %s applies it", len(t.Objects), g.GitOpsTarget(), engineName(g))
		return p, nil
	}
	s, err := m.open(ctx, "", t.Release, t.Namespace)
	if err != nil {
		p.Plan = fmt.Sprintf("a commit of these %d objects at %s", len(t.Objects), g.GitOpsTarget())
		p.Checks = append(p.Checks, rollout.Check{Blocking: true, Message: err.Error(), Evidence: checkEvidence})
		return p, nil
	}
	p.Plan, err = s.planLine(t)
	if err != nil {
		return nil, err
	}
	p.Checks = append(p.Checks, s.engineChecks(ctx, m)...)
	return p, nil
}

// planLine says what the commit will be: on which head, which files, or
// that the branch holds them already.
func (s *session) planLine(t rollout.Target) (string, error) {
	files, err := Files(s.release, t.Objects)
	if err != nil {
		return "", err
	}
	rp := s.repo
	spec := s.spec(files, "plan")
	spec.author.When = time.Unix(0, 0)
	c, changed, err := rp.build(rp.head, spec)
	if err != nil {
		return "", err
	}
	if !changed {
		return fmt.Sprintf("no commit: path %s on branch %s of %s already holds these %d objects (commit %s); %s is asked to apply it",
			s.path, s.g.Branch, s.g.Repository, len(t.Objects), short(rp.head), s.engine), nil
	}
	co, err := object.GetCommit(rp.r.Storer, c)
	if err != nil {
		return "", err
	}
	parent := "as the branch's first commit"
	if !rp.head.IsZero() {
		parent = "on " + short(rp.head)
	}
	return fmt.Sprintf("a commit (tree %s: %d files, %s and one file per object) to branch %s at path %s of %s, %s; then %s applies exactly that commit",
		short(co.TreeHash), len(files), KustomizationFile, s.g.Branch, s.path, s.g.Repository, parent, s.engine), nil
}

// engineChecks read the engine's object: it must exist and apply kship's
// folder of kship's branch of kship's repository.
func (s *session) engineChecks(ctx context.Context, m *Mechanism) []rollout.Check {
	dyn := m.Env.Clients.Dynamic
	g := s.g
	if g.Engine == config.GitOpsArgoCD {
		app, err := dyn.Resource(ApplicationsResource).Namespace(g.Application.Namespace).Get(ctx, g.Application.Name, metav1.GetOptions{})
		if err != nil {
			return []rollout.Check{block("Argo CD Application %s: %v (spec.gitops.application names the Application that syncs the path)", g.Application, err)}
		}
		return applicationChecks(app, g, s.path)
	}
	k, err := dyn.Resource(KustomizationsResource).Namespace(g.Kustomization.Namespace).Get(ctx, g.Kustomization.Name, metav1.GetOptions{})
	if err != nil {
		return []rollout.Check{block("Flux Kustomization %s: %v (spec.gitops.kustomization names the Kustomization that applies the path)", g.Kustomization, err)}
	}
	var src *unstructured.Unstructured
	if kind, ref := source(k); kind == "GitRepository" {
		src, err = dyn.Resource(GitRepositoriesResource).Namespace(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return []rollout.Check{block("Flux Kustomization %s reads GitRepository %s: %v", g.Kustomization, ref, err)}
		}
	}
	return kustomizationChecks(k, src, g, s.path)
}

// kustomizationChecks are the checks of a Flux Kustomization and the
// GitRepository it reads (nil: it reads another kind of source), pure.
func kustomizationChecks(k, src *unstructured.Unstructured, g *config.GitOps, kshipPath string) []rollout.Check {
	name := "Flux Kustomization " + g.Kustomization.String()
	var out []rollout.Check
	if src == nil {
		kind, _ := source(k)
		return []rollout.Check{block("%s reads a %s, not a GitRepository: kship commits to git, so Flux would never apply kship's commit", name, kind)}
	}
	if url := field(src, "spec", "url"); sameRepo(url, g.Repository) {
		out = append(out, pass("%s reads %s, the repository kship commits to", name, url))
	} else {
		out = append(out, block("%s reads %s (GitRepository %s/%s), not spec.gitops.repository %s: Flux would never apply kship's commit", name, url, src.GetNamespace(), src.GetName(), g.Repository))
	}
	if b := field(src, "spec", "ref", "branch"); b != g.Branch {
		out = append(out, block("GitRepository %s/%s follows branch %q, not spec.gitops.branch %s: Flux would never apply kship's commit", src.GetNamespace(), src.GetName(), b, g.Branch))
	}
	kp, _ := config.CleanRepoPath(field(k, "spec", "path"))
	switch {
	case kp == kshipPath:
		out = append(out, pass("%s applies path %s, the folder kship writes", name, kp))
	case kp == "." || strings.HasPrefix(kshipPath, kp+"/"):
		out = append(out, warn("%s applies path %s, a parent of kship's folder %s: its kustomization.yaml (if it has one) must list %s, or Flux applies nothing of kship's", name, kp, kshipPath, path.Base(kshipPath)))
	default:
		out = append(out, block("%s applies path %s, which does not hold spec.gitops.path %s: Flux would never apply kship's commit", name, kp, kshipPath))
	}
	if s, _, _ := unstructured.NestedBool(k.Object, "spec", "suspend"); s {
		out = append(out, block("%s is suspended (spec.suspend): Flux applies nothing; resume it (flux resume kustomization %s -n %s)", name, k.GetName(), k.GetNamespace()))
	}
	if p, _, _ := unstructured.NestedBool(k.Object, "spec", "prune"); !p {
		out = append(out, warn("%s has spec.prune false: objects a revision drops stay in the cluster, and a rollback cannot remove what the failed revision added", name))
	}
	if c, failing := kustomizationFailing(k); failing {
		out = append(out, warn("%s is failing now (%s: %s); kship's commit replaces the folder and is judged by what Flux says of it", name, c.Reason, c.Message))
	}
	return out
}

// applicationChecks are the checks of an Argo CD Application, pure.
func applicationChecks(app *unstructured.Unstructured, g *config.GitOps, kshipPath string) []rollout.Check {
	name := "Argo CD Application " + g.Application.String()
	var out []rollout.Check
	if url := field(app, "spec", "source", "repoURL"); sameRepo(url, g.Repository) {
		out = append(out, pass("%s syncs %s, the repository kship commits to", name, url))
	} else {
		out = append(out, block("%s syncs %q (spec.source.repoURL), not spec.gitops.repository %s (a multi-source Application is not supported)", name, url, g.Repository))
	}
	if rev := field(app, "spec", "source", "targetRevision"); rev != g.Branch && rev != "refs/heads/"+g.Branch && !(rev == "HEAD" || rev == "") {
		out = append(out, block("%s follows %q (spec.source.targetRevision), not branch %s: Argo CD would never sync kship's commit", name, rev, g.Branch))
	}
	if p, _ := config.CleanRepoPath(field(app, "spec", "source", "path")); p != kshipPath {
		out = append(out, block("%s syncs path %s, not spec.gitops.path %s", name, p, kshipPath))
	}
	if _, ok, _ := unstructured.NestedMap(app.Object, "spec", "syncPolicy", "automated"); ok {
		if p, _, _ := unstructured.NestedBool(app.Object, "spec", "syncPolicy", "automated", "prune"); !p {
			out = append(out, warn("%s syncs automatically without prune: objects a revision drops stay in the cluster", name))
		}
	}
	return out
}

// sameRepo compares two repository URLs, ignoring a trailing slash or
// ".git" and the case of the host.
func sameRepo(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
		if i := strings.Index(s, "://"); i >= 0 {
			rest := s[i+3:]
			host, p, _ := strings.Cut(rest, "/")
			s = s[:i+3] + strings.ToLower(host) + "/" + p
		}
		return s
	}
	return norm(a) == norm(b)
}

// engineName names the engine of spec.gitops without reading it.
func engineName(g *config.GitOps) string {
	if g.Engine == config.GitOpsArgoCD && g.Application != nil {
		return "Argo CD Application " + g.Application.String()
	}
	if g.Kustomization != nil {
		return "Flux Kustomization " + g.Kustomization.String()
	}
	return "the engine"
}

func block(format string, a ...any) rollout.Check {
	return rollout.Check{Blocking: true, Message: fmt.Sprintf(format, a...), Evidence: checkEvidence}
}

func warn(format string, a ...any) rollout.Check {
	return rollout.Check{Warning: true, Message: fmt.Sprintf(format, a...), Evidence: checkEvidence}
}

func pass(format string, a ...any) rollout.Check {
	return rollout.Check{Message: fmt.Sprintf(format, a...), Evidence: checkEvidence}
}
