package testenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// modulePath is the module line that marks kship's repository root.
const modulePath = "module github.com/kship/kship"

// RepoRoot returns the kship repository root: the nearest folder, from the
// working directory up, whose go.mod declares module github.com/kship/kship.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		if isRepoRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repo root: no go.mod with " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

// isRepoRoot reports whether dir/go.mod declares kship's main module.
func isRepoRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if strings.TrimSpace(string(line)) == modulePath {
			return true
		}
	}
	return false
}

// envFilePath is where `make cluster-up` writes the environment's variables.
func envFilePath(root string) string {
	return filepath.Join(root, ".localcluster", "env")
}

// readEnvFile parses the KEY=value lines of a shell-sourceable env file,
// ignoring comments and `export` lines and removing single or double quotes.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read env file: %w", err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		vars[strings.TrimSpace(key)] = strings.Trim(strings.TrimSpace(val), `'"`)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read env file %s: %w", path, err)
	}
	return vars, nil
}
