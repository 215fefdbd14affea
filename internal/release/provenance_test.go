package release

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/evidence"
)

// commitRepo makes a git work tree at dir with file committed, and
// returns the commit.
func commitRepo(t *testing.T, dir, file string) string {
	t.Helper()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, file)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte("kind: ConfigMap\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	if _, err := wt.Add(file); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit("c", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// TestSourceCommitsAreTheSources: the commit recorded as the source is the
// source folder's (spec.source.path, a file in it, or the Helm chart),
// also when the release file lives in another repository (whose commit is
// recorded beside it) or in none; one repository for both is said once.
func TestSourceCommitsAreTheSources(t *testing.T) {
	apps, platform, plain := t.TempDir(), t.TempDir(), t.TempDir()
	appsCommit := commitRepo(t, apps, "deploy/app.yaml")
	platformCommit := commitRepo(t, platform, "releases/kship.yaml")
	for name, tt := range map[string]struct {
		rel                 *config.Release
		source, releaseFile string
	}{
		"source in another repository": {rel: &config.Release{Dir: filepath.Join(platform, "releases"),
			Spec: config.Spec{Source: config.Source{Path: filepath.Join(apps, "deploy")}}}, source: appsCommit, releaseFile: platformCommit},
		"a file of the source, relative": {rel: &config.Release{Dir: filepath.Join(platform, "releases"),
			Spec: config.Spec{Source: config.Source{Path: "../../" + filepath.Base(apps) + "/deploy/app.yaml"}}}, source: appsCommit, releaseFile: platformCommit},
		"a chart": {rel: &config.Release{Dir: plain,
			Spec: config.Spec{Source: config.Source{Helm: &config.Helm{Chart: filepath.Join(apps, "deploy")}}}}, source: appsCommit},
		"release file beside its source": {rel: &config.Release{Dir: apps,
			Spec: config.Spec{Source: config.Source{Path: "./deploy"}}}, source: appsCommit},
		"source in no repository": {rel: &config.Release{Dir: filepath.Join(platform, "releases"),
			Spec: config.Spec{Source: config.Source{Path: plain}}}, releaseFile: platformCommit},
	} {
		src, relFile := sourceCommits(tt.rel)
		if got := commitOf(src); got != tt.source {
			t.Errorf("%s: source commit %q, want %q", name, got, tt.source)
		}
		if got := commitOf(relFile); got != tt.releaseFile {
			t.Errorf("%s: release file commit %q, want %q", name, got, tt.releaseFile)
		}
	}
}

func commitOf(s *evidence.GitSource) string {
	if s == nil {
		return ""
	}
	return s.Commit
}
