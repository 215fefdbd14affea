// Package gitserver serves bare git repositories over git's smart HTTP
// protocol on loopback, for Flux's source-controller to clone and for
// tests (and kship's GitOps mechanism) to push to. The protocol itself is
// git's own `git http-backend`, run as a CGI program; this package only
// maps URLs to repositories under a root folder and creates a repository
// on its first push. There is no authentication: it listens on loopback.
package gitserver

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Server serves the bare repositories under Root: http://HOST/a/b.git is
// Root/a/b.git.
type Server struct {
	// Root holds the repositories.
	Root string
	// Git is the git executable.
	Git string
	// Log receives one line per push and per error (nil: discarded).
	Log *log.Logger

	mu sync.Mutex // serialises repository creation
}

// repoPath matches a repository's URL path: segments of letters, digits,
// '.', '_' and '-', the last one ending in .git, then what git asks for.
var repoPath = regexp.MustCompile(`^/((?:[A-Za-z0-9_][A-Za-z0-9._-]*/)*[A-Za-z0-9_][A-Za-z0-9._-]*\.git)(/.*)$`)

// ServeHTTP answers /-/ready, and git's smart HTTP requests for a
// repository (creating it when a push asks for one that does not exist).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/-/ready" {
		io.WriteString(w, "ok\n") //nolint:errcheck
		return
	}
	m := repoPath.FindStringSubmatch(r.URL.Path)
	if m == nil || strings.Contains(m[1], "..") {
		http.Error(w, "not a repository path: want /NAME.git/... (letters, digits, '.', '_', '-', '/')", http.StatusNotFound)
		return
	}
	repo, rest := m[1], m[2]
	if isPush(r, rest) {
		if err := s.ensureRepo(repo); err != nil {
			s.logf("create %s: %v", repo, err)
			http.Error(w, "create repository: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if r.Method == http.MethodPost {
			s.logf("push to %s", repo)
		}
	}
	s.backend().ServeHTTP(w, r)
}

// isPush reports whether the request is part of a push (git-receive-pack).
func isPush(r *http.Request, rest string) bool {
	return rest == "/git-receive-pack" || (rest == "/info/refs" && r.URL.Query().Get("service") == "git-receive-pack")
}

// backend is git http-backend for the repositories under Root, every one
// of them exported and open to pushes (http.receivepack), which git
// otherwise refuses to an unauthenticated client.
func (s *Server) backend() *cgi.Handler {
	return &cgi.Handler{
		Path: s.Git,
		Args: []string{"http-backend"},
		Dir:  s.Root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + s.Root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=http.receivepack",
			"GIT_CONFIG_VALUE_0=true",
		},
		Stderr: s.stderr(),
	}
}

// ensureRepo creates the bare repository repo (relative to Root) with
// branch main as its HEAD, unless it exists.
func (s *Server) ensureRepo(repo string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Join(s.Root, filepath.FromSlash(repo))
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command(s.Git, "init", "--quiet", "--bare", "--initial-branch=main", dir)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git init: %w: %s", err, strings.TrimSpace(string(out)))
	}
	s.logf("created %s", repo)
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.Log != nil {
		s.Log.Printf(format, args...)
	}
}

// stderr is where git http-backend's own messages go.
func (s *Server) stderr() io.Writer {
	if s.Log != nil {
		return s.Log.Writer()
	}
	return io.Discard
}
