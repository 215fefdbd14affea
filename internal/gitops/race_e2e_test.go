package gitops_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/gitops"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// write runs the mechanism's Write of a version, with a human's push
// (made by push) between kship's read of the branch and its first push.
func (f *fixture) raceWrite(version string, push func(work string)) (string, error) {
	f.t.Helper()
	rel, err := config.Load(f.release(version, ""))
	if err != nil {
		f.t.Fatal(err)
	}
	objs, err := manifest.Load(context.Background(), rel, f.clients.Mapper)
	if err != nil {
		f.t.Fatal(err)
	}
	m := gitops.NewMechanism(rollout.Env{Clients: f.clients, Now: time.Now})
	m.BeforePush = func(ctx context.Context, attempt int) {
		if attempt == 1 {
			push(f.clone())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = m.Write(ctx, rollout.Target{Release: rel, Namespace: f.ns, Revision: 1, Objects: objs})
	return f.head(), err
}

// A human's commit that lands while kship pushes: when it touches another
// folder, kship builds its commit again on it and pushes (the human's
// commit is kept, nothing forced); when it touches kship's folder, nothing
// is pushed and the error names the human's commit.
func TestE2EGitOpsPushRace(t *testing.T) {
	f := newFixture(t, "gitops-race-")
	f.flux()
	var human string
	head, err := f.raceWrite("v1", func(work string) {
		write(t, filepath.Join(work, "NOTES.md"), "a human's note\n")
		f.git(work, "add", "NOTES.md")
		f.git(work, "commit", "--quiet", "-m", "notes")
		f.git(work, "push", "--quiet", "origin", "main")
		human = f.git(work, "rev-parse", "HEAD")
	})
	if err != nil {
		t.Fatalf("a race with a commit elsewhere was not retried: %v", err)
	}
	if parent := f.git(f.clone(), "rev-parse", "HEAD^"); parent != human {
		t.Errorf("kship's commit %s has parent %s, want the human's %s", head[:12], parent, human)
	}
	if f.applied() != head {
		t.Errorf("Flux applied %s, want %s", f.applied(), head)
	}

	_, err = f.raceWrite("v2", func(work string) {
		write(t, filepath.Join(work, "apps", "app", "extra.yaml"), "# a human's file in kship's folder\n")
		f.git(work, "add", ".")
		f.git(work, "commit", "--quiet", "-m", "edit kship's folder")
		f.git(work, "push", "--quiet", "origin", "main")
		human = f.git(work, "rev-parse", "HEAD")
	})
	var conflict *gitops.ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), human[:12]) || !strings.Contains(err.Error(), "edit kship's folder") {
		t.Fatalf("a race with a commit in kship's folder: %v; want the conflict naming commit %s", err, human[:12])
	}
	if f.head() != human {
		t.Errorf("the branch is at %s after the refused push, want the human's %s", f.head(), human)
	}
}
