package gitops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

// repo is the release's branch, fetched into memory with go-git: kship
// reads the branch, builds its commit on the head it read, and pushes it
// (never forced).
type repo struct {
	url, branch string
	auth        transport.AuthMethod
	// authFrom says where auth's credentials come from, for messages
	// ("" when there are none).
	authFrom string
	r        *git.Repository
	// head is the branch's commit as last fetched (zero: an empty
	// repository, or a branch that does not exist yet).
	head plumbing.Hash
}

const remoteName = "origin"

// openRepo fetches branch of url into memory, with auth (from authFrom).
func openRepo(ctx context.Context, url, branch string, auth transport.AuthMethod, authFrom string) (*repo, error) {
	r, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, err
	}
	if _, err := r.CreateRemote(&gitconfig.RemoteConfig{Name: remoteName, URLs: []string{url}}); err != nil {
		return nil, err
	}
	rp := &repo{url: url, branch: branch, auth: auth, authFrom: authFrom, r: r}
	if _, err := rp.fetch(ctx); err != nil {
		return nil, err
	}
	return rp, nil
}

func (rp *repo) branchRef() plumbing.ReferenceName { return plumbing.NewBranchReferenceName(rp.branch) }
func (rp *repo) trackingRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName(remoteName, rp.branch)
}

// fetch reads the branch's head again (and the commits up to it) and
// returns it.
func (rp *repo) fetch(ctx context.Context) (plumbing.Hash, error) {
	spec := gitconfig.RefSpec(fmt.Sprintf("+%s:%s", rp.branchRef(), rp.trackingRef()))
	err := rp.r.FetchContext(ctx, &git.FetchOptions{RemoteName: remoteName, RefSpecs: []gitconfig.RefSpec{spec}, Auth: rp.auth, Tags: git.NoTags})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
	case errors.Is(err, transport.ErrEmptyRemoteRepository), errors.Is(err, git.NoMatchingRefSpecError{}):
		rp.head = plumbing.ZeroHash
		return rp.head, nil
	default:
		return plumbing.ZeroHash, fmt.Errorf("fetch branch %s of %s: %w", rp.branch, rp.url, rp.gitError(err))
	}
	ref, err := rp.r.Reference(rp.trackingRef(), true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("branch %s of %s: %w", rp.branch, rp.url, err)
	}
	rp.head = ref.Hash()
	return rp.head, nil
}

// gitError says what a transport error means for the user: credentials
// refused name where they came from (never their values).
func (rp *repo) gitError(err error) error {
	switch {
	case (errors.Is(err, transport.ErrAuthenticationRequired) || errors.Is(err, transport.ErrAuthorizationFailed)) && rp.authFrom != "":
		return fmt.Errorf("%w: the repository refused the credentials from %s: give kship credentials that are current and may push", err, rp.authFrom)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%w: give kship credentials that may push (spec.gitops.credentials)", err)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("%w: check spec.gitops.repository (a private repository also answers not found without credentials)", err)
	}
	return err
}

// commitSpec is one commit kship builds.
type commitSpec struct {
	path    string
	files   map[string][]byte
	message string
	author  object.Signature
}

// build makes the commit of spec on base (zero: the branch's first
// commit): base's tree with spec.path's folder replaced by spec.files. It
// returns base itself, and false, when the folder already holds exactly
// those files.
func (rp *repo) build(base plumbing.Hash, spec commitSpec) (plumbing.Hash, bool, error) {
	s := rp.r.Storer
	var baseTree plumbing.Hash
	if !base.IsZero() {
		c, err := object.GetCommit(s, base)
		if err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("read commit %s: %w", base, err)
		}
		baseTree = c.TreeHash
	}
	sub, err := writeFolder(s, spec.files)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	tree, err := replaceFolder(s, baseTree, spec.path, sub)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if tree == baseTree && !base.IsZero() {
		return base, false, nil
	}
	if tree.IsZero() {
		// an empty repository given no files: nothing to commit.
		return base, false, nil
	}
	c := &object.Commit{Author: spec.author, Committer: spec.author, Message: spec.message, TreeHash: tree}
	if !base.IsZero() {
		c.ParentHashes = []plumbing.Hash{base}
	}
	obj := s.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, err
	}
	h, err := s.SetEncodedObject(obj)
	return h, true, err
}

// push updates the branch to commit, a descendant of the head kship read;
// the server refuses it if the branch moved since (kship never forces).
func (rp *repo) push(ctx context.Context, commit plumbing.Hash) error {
	if err := rp.r.Storer.SetReference(plumbing.NewHashReference(rp.branchRef(), commit)); err != nil {
		return err
	}
	spec := gitconfig.RefSpec(fmt.Sprintf("%s:%s", rp.branchRef(), rp.branchRef()))
	err := rp.r.PushContext(ctx, &git.PushOptions{RemoteName: remoteName, RefSpecs: []gitconfig.RefSpec{spec}, Auth: rp.auth})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("push %s to branch %s of %s: %w", short(commit), rp.branch, rp.url, rp.gitError(err))
	}
	return nil
}

// folderAt is the hash of path's folder in commit (zero: none).
func (rp *repo) folderAt(commit plumbing.Hash, path string) (plumbing.Hash, error) {
	if commit.IsZero() {
		return plumbing.ZeroHash, nil
	}
	c, err := object.GetCommit(rp.r.Storer, commit)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return folderOf(rp.r.Storer, c.TreeHash, path)
}

// filesAt reads path's files in commit.
func (rp *repo) filesAt(commit plumbing.Hash, path string) (map[string][]byte, error) {
	h, err := rp.folderAt(commit, path)
	if err != nil {
		return nil, err
	}
	return readFolder(rp.r.Storer, h)
}

// Change is one commit of the branch, as kship names it in messages.
type Change struct {
	SHA     string    `json:"sha"`
	Author  string    `json:"author"`
	When    time.Time `json:"when"`
	Subject string    `json:"subject"`
}

func (c Change) String() string {
	return fmt.Sprintf("commit %s by %s (%q)", short(plumbing.NewHash(c.SHA)), c.Author, c.Subject)
}

func changeOf(c *object.Commit) Change {
	subject, _, _ := strings.Cut(c.Message, "\n")
	return Change{SHA: c.Hash.String(), Author: fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email), When: c.Author.When, Subject: subject}
}

// between lists the commits reachable from to and not from from, newest
// first (first parents only).
func (rp *repo) between(from, to plumbing.Hash) ([]*object.Commit, error) {
	var out []*object.Commit
	for h := to; !h.IsZero() && h != from && len(out) < maxSearch; {
		c, err := object.GetCommit(rp.r.Storer, h)
		if err != nil {
			return out, err
		}
		out = append(out, c)
		if len(c.ParentHashes) == 0 {
			break
		}
		h = c.ParentHashes[0]
	}
	return out, nil
}

// touching are the commits of list that changed path's folder.
func (rp *repo) touching(list []*object.Commit, path string) ([]Change, error) {
	var out []Change
	for _, c := range list {
		mine, err := folderOf(rp.r.Storer, c.TreeHash, path)
		if err != nil {
			return nil, err
		}
		var parent plumbing.Hash
		if len(c.ParentHashes) > 0 {
			if parent, err = rp.folderAt(c.ParentHashes[0], path); err != nil {
				return nil, err
			}
		}
		if mine != parent {
			out = append(out, changeOf(c))
		}
	}
	return out, nil
}

// maxSearch bounds how far back a rollback looks for kship's commit of a
// revision.
const maxSearch = 2000

// find returns the newest commit on the branch (first parents from head,
// at most maxSearch) whose trailers ("Key: value" lines) match, or nil.
func (rp *repo) find(match func(trailers map[string]string) bool) (*object.Commit, error) {
	h := rp.head
	for i := 0; i < maxSearch && !h.IsZero(); i++ {
		c, err := object.GetCommit(rp.r.Storer, h)
		if err != nil {
			return nil, err
		}
		if match(trailers(c.Message)) {
			return c, nil
		}
		if len(c.ParentHashes) == 0 {
			break
		}
		h = c.ParentHashes[0]
	}
	return nil, nil
}

// trailers reads a commit message's "Key: value" lines.
func trailers(msg string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(msg, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ": "); ok && !strings.Contains(k, " ") {
			out[k] = v
		}
	}
	return out
}

func short(h plumbing.Hash) string { return h.String()[:12] }
