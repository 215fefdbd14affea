package gitserver

import (
	"bytes"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// git runs the git CLI in dir with no user or system configuration.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@kship.invalid",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@kship.invalid")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func server(t *testing.T) (*httptest.Server, string, *bytes.Buffer) {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("the git server needs git: %v", err)
	}
	root := t.TempDir()
	logs := &bytes.Buffer{}
	srv := httptest.NewServer(&Server{Root: root, Git: gitPath, Log: log.New(logs, "", 0)})
	t.Cleanup(srv.Close)
	return srv, root, logs
}

// A push creates the repository; a clone gets the pushed commit back.
func TestPushCreatesTheRepositoryAndCloneReadsIt(t *testing.T) {
	srv, root, logs := server(t)
	work := t.TempDir()
	git(t, work, "init", "--quiet", "--initial-branch=main")
	if err := os.WriteFile(filepath.Join(work, "cm.yaml"), []byte("kind: ConfigMap\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, work, "add", ".")
	git(t, work, "commit", "--quiet", "-m", "first")
	sha := git(t, work, "rev-parse", "HEAD")
	url := srv.URL + "/team/app.git"
	git(t, work, "push", "--quiet", url, "main")

	if _, err := os.Stat(filepath.Join(root, "team", "app.git", "HEAD")); err != nil {
		t.Fatalf("bare repository not created under the root: %v\n%s", err, logs)
	}
	clone := t.TempDir()
	git(t, clone, "clone", "--quiet", url, ".")
	if got := git(t, clone, "rev-parse", "HEAD"); got != sha {
		t.Errorf("cloned HEAD %s, want the pushed %s", got, sha)
	}
	if data, err := os.ReadFile(filepath.Join(clone, "cm.yaml")); err != nil || string(data) != "kind: ConfigMap\n" {
		t.Errorf("cloned cm.yaml = %q, %v", data, err)
	}
	if !strings.Contains(logs.String(), "push to team/app.git") {
		t.Errorf("log does not record the push:\n%s", logs)
	}
}

// Fetching a repository that does not exist creates nothing; paths that
// leave the root are refused.
func TestUnknownAndEscapingPaths(t *testing.T) {
	srv, root, _ := server(t)
	for _, path := range []string{
		"/missing.git/info/refs?service=git-upload-pack",
		"/../etc.git/info/refs?service=git-receive-pack",
		"/a/..%2f..%2fetc.git/info/refs?service=git-receive-pack",
		"/notarepo/info/refs",
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("root has %d entries after refused requests, want none", len(entries))
	}
	res, err := http.Get(srv.URL + "/-/ready")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/-/ready: %v %v", res, err)
	}
}
