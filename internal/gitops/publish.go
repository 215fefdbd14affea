package gitops

import (
	"context"
	"fmt"
	"strings"

	"github.com/kship/kship/internal/event"
)

// ConflictError is a push refused because another commit, pushed while
// kship was pushing, changed kship's folder: kship never force-pushes and
// does not merge edits of its folder.
type ConflictError struct {
	Branch, Path string
	// Commits are the commits that changed the path, newest first.
	Commits []Change
}

func (e *ConflictError) Error() string {
	var names []string
	for _, c := range e.Commits {
		names = append(names, c.String())
	}
	return fmt.Sprintf("branch %s moved while kship pushed, and %s changed %s, the folder kship writes: nothing was pushed (kship never force-pushes, nor merges edits of its folder); move that change into the release's source or revert it, then deploy again",
		e.Branch, strings.Join(names, ", "), e.Path)
}

// publish pushes the commit of spec on the branch's head. When the branch
// moved since kship read it (a push refused as not fast-forward), kship
// fetches the new head: if none of the new commits touched its path, it
// builds its commit again on the new head and pushes that (up to
// maxPushAttempts); otherwise it refuses, naming the commits. A folder that
// already holds spec's files pushes nothing.
func (m *Mechanism) publish(ctx context.Context, stage event.Stage, s *session, spec commitSpec, action string) (*Commit, error) {
	rp := s.repo
	c := &Commit{Action: action, Repository: s.g.Repository, Branch: s.g.Branch, Path: s.path, Files: len(spec.files)}
	for attempt := 1; ; attempt++ {
		base := rp.head
		commit, changed, err := rp.build(base, spec)
		if err != nil {
			return nil, err
		}
		c.Attempts, c.Parent = attempt, base.String()
		if base.IsZero() {
			c.Parent = ""
		}
		if !changed {
			if base.IsZero() {
				return nil, fmt.Errorf("branch %s of %s is empty and the release has no objects: nothing to commit", s.g.Branch, s.g.Repository)
			}
			c.Unchanged, c.SHA, c.Attempts = true, base.String(), 0
			m.report(stage, c)
			return c, nil
		}
		if m.BeforePush != nil {
			m.BeforePush(ctx, attempt)
		}
		perr := rp.push(ctx, commit)
		if perr == nil {
			c.SHA = commit.String()
			m.report(stage, c)
			return c, nil
		}
		moved, err := rp.fetch(ctx)
		if err != nil || moved == base {
			return nil, perr // not a race: the push failed on its own
		}
		list, err := rp.between(base, moved)
		if err != nil {
			return nil, fmt.Errorf("%w; reading the commits that moved the branch: %v", perr, err)
		}
		touched, err := rp.touching(list, s.path)
		if err != nil {
			return nil, err
		}
		if len(touched) > 0 {
			return nil, &ConflictError{Branch: s.g.Branch, Path: s.path, Commits: touched}
		}
		for _, x := range list {
			c.Raced = append(c.Raced, changeOf(x))
		}
		m.Env.Decide(stage, fmt.Sprintf("branch %s moved from %s to %s while kship pushed (%d commits by others, none touching %s): kship's commit is built again on %s and pushed (attempt %d)",
			s.g.Branch, shortSHA(base.String()), short(moved), len(list), s.path, short(moved), attempt+1))
		if attempt >= maxPushAttempts {
			return nil, fmt.Errorf("branch %s of %s kept moving: %d pushes refused as not fast-forward; nothing was pushed: %w", s.g.Branch, s.g.Repository, attempt, perr)
		}
	}
}

// report records a commit in the stream.
func (m *Mechanism) report(stage event.Stage, c *Commit) {
	if m.Env.Sink != nil {
		m.Env.Sink.Emit(event.Event{Time: m.Env.Now(), Stage: stage, Type: event.TypeGitCommit,
			Object: fmt.Sprintf("git %s branch %s", c.Repository, c.Branch), Message: c.String(), Data: c})
	}
}
