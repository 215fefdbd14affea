// Package gitops is the gitops rollout mechanism (spec.mechanism gitops):
// a revision is a git commit of its rendered manifests, pushed with go-git
// to a folder of a repository that a GitOps engine applies (a Flux
// Kustomization, or an Argo CD Application whose status contract kship
// reads), and a rollback is a revert commit pushed and applied the same
// way. kship waits, watching, until the engine has applied exactly its
// commit, and reports the engine's own failure reasons at once; the
// executor then runs kship's detector, verification and stabilize on the
// objects the engine applied.
//
// Why the rendered manifests and not the source: the commit holds exactly
// the objects kship planned, checked and dry-ran (no second render by the
// engine that could differ: another kustomize or Helm version, values,
// remote bases), so verification judges the very objects that were
// reviewed, the revision record and the commit hold the same objects, and
// a rollback is a revert to bytes that were applied before.
//
// It imports config, event, manifest and rollout, which the mechanism
// seam is made of.
package gitops

import (
	"context"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// Mechanism is the gitops rollout mechanism of one run.
type Mechanism struct {
	Env rollout.Env
	// BeforePush, when set, runs after kship built its commit and before
	// each push (attempt 1, 2, ...): tests push a concurrent commit here.
	BeforePush func(ctx context.Context, attempt int)
}

// NewMechanism returns the gitops mechanism of a run.
func NewMechanism(env rollout.Env) *Mechanism { return &Mechanism{Env: env} }

// FieldManager is the field manager Flux's kustomize-controller applies
// with: kship's plan and checks dry-run with it, so they predict Flux's
// apply.
const FieldManager = "kustomize-controller"

// maxPushAttempts bounds the pushes of one commit when the branch keeps
// moving under kship.
const maxPushAttempts = 5

// Write commits t.Objects' rendered manifests to the release's path and
// pushes the commit (rebuilt on the new head when another commit raced
// it, refused when that commit changed the path), asks the engine to
// apply it now and waits until it has applied exactly that commit, within
// the rollout timeout. The engine prunes what the path no longer has. It
// returns the objects the engine applied.
func (m *Mechanism) Write(ctx context.Context, t rollout.Target) ([]manifest.Object, error) {
	g := t.Release.Spec.GitOps
	if g == nil {
		return nil, fmt.Errorf("spec.mechanism gitops needs spec.gitops (repository, branch, path, kustomization)")
	}
	if err := refuseSecrets(t.Objects); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, rolloutTimeout(t.Release))
	defer cancel()
	s, err := m.open(ctx, event.StageRollout, t.Release, t.Namespace)
	if err != nil {
		return nil, err
	}
	files, err := Files(s.release, t.Objects)
	if err != nil {
		return nil, err
	}
	spec := s.spec(files, fmt.Sprintf("kship: release %s revision %d\n\nThe rendered manifests of revision %d of kship release %s (%d objects).\n\n%s",
		s.release, t.Revision, t.Revision, s.release, len(t.Objects), s.trailers(t.Revision)))
	c, err := m.publish(ctx, event.StageRollout, s, spec, "commit")
	if err != nil {
		return nil, err
	}
	if err := m.apply(ctx, event.StageRollout, s, c); err != nil {
		return t.Objects, err
	}
	return t.Objects, nil
}

// Restore brings r.Target back with a revert commit: the path gets back
// exactly the files of Target's commit (rendered from Target's objects
// when that commit is not on the branch), pushed and applied like a new
// revision. With no Target the path is emptied and the engine prunes what
// the release created. It refuses to overwrite the path when it holds
// neither From's files nor Target's (someone else changed kship's folder
// since): a human must decide. It returns the objects the engine applied.
func (m *Mechanism) Restore(ctx context.Context, r rollout.Restore) ([]manifest.Object, error) {
	rel := r.FromRelease
	if rel == nil || rel.Spec.GitOps == nil {
		rel = r.TargetRelease
	}
	if rel == nil || rel.Spec.GitOps == nil {
		return nil, fmt.Errorf("revision %d has no spec.gitops to revert in", r.From.Number)
	}
	timeoutOf := rel
	if r.TargetRelease != nil {
		timeoutOf = r.TargetRelease
	}
	ctx, cancel := context.WithTimeout(ctx, rolloutTimeout(timeoutOf))
	defer cancel()
	s, err := m.open(ctx, event.StageRollback, rel, r.Namespace)
	if err != nil {
		return nil, err
	}
	plan, err := s.revert(r)
	if err != nil {
		return nil, err
	}
	c, err := m.publish(ctx, event.StageRollback, s, plan.spec, "revert")
	if err != nil {
		return nil, err
	}
	c.Reverts = plan.reverts
	if err := m.apply(ctx, event.StageRollback, s, c); err != nil {
		return nil, err
	}
	if r.Target == nil {
		return nil, nil
	}
	return r.Target.Objects, nil
}

// session is one run's view of the release's repository and engine.
type session struct {
	g       *config.GitOps
	path    string
	release string // "namespace/name"
	repo    *repo
	engine  engine
	stage   event.Stage
}

// open fetches the release's branch and builds its engine.
func (m *Mechanism) open(ctx context.Context, stage event.Stage, rel *config.Release, ns string) (*session, error) {
	g := rel.Spec.GitOps
	path, ok := config.CleanRepoPath(g.Path)
	if !ok || path == "." {
		return nil, fmt.Errorf("spec.gitops.path %q is not a folder inside the repository", g.Path)
	}
	var a transport.AuthMethod
	var err error
	if m.Env.Clients != nil {
		a, err = auth(ctx, m.Env.Clients.Typed, g.Credentials)
	} else {
		a, err = auth(ctx, nil, g.Credentials)
	}
	if err != nil {
		return nil, err
	}
	rp, err := openRepo(ctx, g.Repository, g.Branch, a, credentialsFrom(g.Credentials))
	if err != nil {
		return nil, err
	}
	s := &session{g: g, path: path, release: ns + "/" + rel.Metadata.Name, repo: rp, stage: stage}
	s.engine, err = m.engineOf(g, s)
	return s, err
}

// spec is a commit of files at the session's path.
func (s *session) spec(files map[string][]byte, message string) commitSpec {
	a := s.g.Author
	if a == nil {
		a = &config.GitAuthor{Name: config.DefaultGitAuthorName, Email: config.DefaultGitAuthorEmail}
	}
	return commitSpec{path: s.path, files: files, message: message,
		author: object.Signature{Name: a.Name, Email: a.Email, When: time.Now()}}
}

// trailers are the lines that name kship's commit of a revision, by which
// a rollback finds it again.
func (s *session) trailers(revision int) string {
	return fmt.Sprintf("Kship-Release: %s\nKship-Revision: %d\n", s.release, revision)
}

// revertPlan is what a rollback commits.
type revertPlan struct {
	spec    commitSpec
	reverts string
}

// revert plans the revert commit of r: the files to restore, the commit
// it reverts, and the guard that nobody else's change at the path is
// overwritten.
func (s *session) revert(r rollout.Restore) (*revertPlan, error) {
	rp := s.repo
	fromCommit, err := rp.find(s.ofRevision(r.From.Number))
	if err != nil {
		return nil, err
	}
	var want map[string][]byte
	var targetFolder plumbing.Hash
	what := "remove every manifest of the release (it had no earlier revision)"
	if r.Target != nil {
		what = fmt.Sprintf("restore revision %d", r.Target.Number)
		tc, err := rp.find(s.ofRevision(r.Target.Number))
		if err != nil {
			return nil, err
		}
		if tc != nil {
			if want, err = rp.filesAt(tc.Hash, s.path); err != nil {
				return nil, err
			}
		} else if want, err = Files(s.release, r.Target.Objects); err != nil {
			return nil, err
		}
	}
	if targetFolder, err = writeFolder(rp.r.Storer, want); err != nil {
		return nil, err
	}
	if err := s.guard(r, fromCommit, targetFolder); err != nil {
		return nil, err
	}
	subject := fmt.Sprintf("kship: release %s revision %d", s.release, r.From.Number)
	body := fmt.Sprintf("kship rolls revision %d back: %s.", r.From.Number, what)
	reverts := ""
	if fromCommit != nil {
		reverts = fromCommit.Hash.String()
		body = fmt.Sprintf("This reverts commit %s.\n\n%s", reverts, body)
	}
	msg := fmt.Sprintf("Revert %q\n\n%s\n\nKship-Release: %s\nKship-Reverts: %d\n", subject, body, s.release, r.From.Number)
	if r.Target != nil {
		msg += fmt.Sprintf("Kship-Restores: %d\n", r.Target.Number)
	}
	return &revertPlan{spec: s.spec(want, msg), reverts: reverts}, nil
}

// guard refuses a revert that would overwrite someone else's change of
// the path: the path at the head must hold kship's commit of From (or its
// rendering, when that commit pushed nothing new) or already Target's
// files.
func (s *session) guard(r rollout.Restore, fromCommit *object.Commit, target plumbing.Hash) error {
	rp := s.repo
	head, err := rp.folderAt(rp.head, s.path)
	if err != nil {
		return err
	}
	if head == target {
		return nil
	}
	if fromCommit != nil {
		at, err := rp.folderAt(fromCommit.Hash, s.path)
		if err != nil {
			return err
		}
		if at == head {
			return nil
		}
	}
	fromFiles, err := Files(s.release, r.From.Objects)
	if err != nil {
		return err
	}
	if rendered, err := writeFolder(rp.r.Storer, fromFiles); err == nil && rendered == head {
		return nil
	}
	since := plumbing.ZeroHash
	if fromCommit != nil {
		since = fromCommit.Hash
	}
	list, _ := rp.between(since, rp.head)
	changed, _ := rp.touching(list, s.path)
	who := "a commit kship did not make"
	if len(changed) > 0 {
		who = changed[0].String()
	}
	return fmt.Errorf("path %s on branch %s holds neither revision %d's manifests (kship's last) nor the ones the rollback restores: %s changed it; kship does not overwrite a change it did not make: look at it, then roll back by hand (git revert) or deploy again",
		s.path, s.g.Branch, r.From.Number, who)
}

// ofRevision matches the commit that holds revision n's files: kship's
// commit of it, or a revert that restored it.
func (s *session) ofRevision(n int) func(trailers map[string]string) bool {
	return func(t map[string]string) bool {
		return t["Kship-Release"] == s.release && (t["Kship-Revision"] == fmt.Sprint(n) || t["Kship-Restores"] == fmt.Sprint(n))
	}
}

// apply asks the engine to apply the pushed commit and waits; every step
// is in the evidence.
func (m *Mechanism) apply(ctx context.Context, stage event.Stage, s *session, c *Commit) error {
	m.Env.Decide(stage, fmt.Sprintf("asked %s to apply commit %s now (reconcile requested); waiting until it has applied exactly that commit", s.engine, c.SHA[:12]))
	start := m.Env.Now()
	if err := s.engine.Apply(ctx, c.SHA); err != nil {
		return err
	}
	m.Env.Decide(stage, fmt.Sprintf("%s applied commit %s (%s after the push)", s.engine, c.SHA[:12], m.Env.Now().Sub(start).Round(time.Millisecond)))
	return nil
}

// emit records an observation of the engine's object in the stream.
func (m *Mechanism) emit(stage event.Stage) func(*Observation) {
	return func(o *Observation) {
		if m.Env.Sink != nil {
			m.Env.Sink.Emit(event.Event{Time: m.Env.Now(), Stage: stage, Type: event.TypeGitOps, Object: o.Object, Message: o.String(), Data: o})
		}
	}
}

// rolloutTimeout bounds a write and its wait for the engine.
func rolloutTimeout(rel *config.Release) time.Duration {
	if d := rel.Spec.Verify.RolloutTimeout.Duration; d > 0 {
		return d
	}
	return config.DefaultRolloutTimeout
}

// refuseSecrets refuses Secrets: kship would commit their values to git in
// the clear.
func refuseSecrets(objs []manifest.Object) error {
	for _, o := range objs {
		if isSecret(o) {
			return fmt.Errorf("%s: spec.mechanism gitops would commit its values to git in the clear; keep Secrets out of the release (a SealedSecret or SOPS-encrypted Secret your engine decrypts is fine)", o.Ref())
		}
	}
	return nil
}

func isSecret(o manifest.Object) bool {
	gvk := o.GVK()
	return gvk.Group == "" && gvk.Kind == "Secret"
}
