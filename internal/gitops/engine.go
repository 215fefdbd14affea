package gitops

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"k8s.io/client-go/dynamic"

	"github.com/kship/kship/internal/config"
)

// engine is what applies kship's commits: a Flux Kustomization or an Argo
// CD Application.
type engine interface {
	// Apply asks the engine to apply commit sha now and waits until it
	// has applied exactly that commit (or a later one whose path holds
	// the same files); the engine's own failure is returned at once.
	Apply(ctx context.Context, sha string) error
	// String names the engine's object ("Flux Kustomization
	// flux-system/web").
	String() string
}

// engineOf builds the engine of spec.gitops for a session.
func (m *Mechanism) engineOf(g *config.GitOps, s *session) (engine, error) {
	var dyn dynamic.Interface
	if m.Env.Clients != nil {
		dyn = m.Env.Clients.Dynamic
	}
	if dyn == nil {
		return nil, fmt.Errorf("spec.mechanism gitops needs a cluster to watch its engine")
	}
	switch g.Engine {
	case config.GitOpsFlux, "":
		if g.Kustomization == nil {
			return nil, fmt.Errorf("spec.gitops.kustomization is required with engine flux")
		}
		return &flux{dyn: dyn, ref: *g.Kustomization, now: m.Env.Now, observe: m.emit(s.stage), holds: s.holds}, nil
	case config.GitOpsArgoCD:
		if g.Application == nil {
			return nil, fmt.Errorf("spec.gitops.application is required with engine argocd")
		}
		return &argoCD{dyn: dyn, ref: *g.Application, now: m.Env.Now, observe: m.emit(s.stage), holds: s.holds}, nil
	}
	return nil, fmt.Errorf("spec.gitops.engine %q is not %s or %s", g.Engine, config.GitOpsFlux, config.GitOpsArgoCD)
}

// holds says whether commit artifact, which the engine fetched after kship
// pushed sha, holds kship's commit: sha itself, or a descendant of sha
// (first parents) whose folder at the path is sha's. The branch is
// fetched again when artifact is not known yet.
func (s *session) holds(ctx context.Context, artifact, sha string) (bool, error) {
	if artifact == sha {
		return true, nil
	}
	rp := s.repo
	a, want := plumbing.NewHash(artifact), plumbing.NewHash(sha)
	if _, err := object.GetCommit(rp.r.Storer, a); err != nil {
		if _, err := rp.fetch(ctx); err != nil {
			return false, err
		}
		if _, err := object.GetCommit(rp.r.Storer, a); err != nil {
			return false, nil // not on the branch kship reads
		}
	}
	list, err := rp.between(want, a)
	if err != nil {
		return false, err
	}
	if len(list) == 0 {
		return false, nil
	}
	last := list[len(list)-1]
	if len(last.ParentHashes) == 0 || last.ParentHashes[0] != want {
		return false, nil // sha is not an ancestor of artifact
	}
	mine, err := rp.folderAt(want, s.path)
	if err != nil {
		return false, err
	}
	theirs, err := rp.folderAt(a, s.path)
	if err != nil {
		return false, err
	}
	return mine == theirs, nil
}
