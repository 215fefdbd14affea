package release

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CopyFixture copies testdata/name into a temporary folder, replacing the
// placeholders, and returns the path of its kship.yaml.
func CopyFixture(t *testing.T, name string, repl map[string]string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s := string(data)
		for k, v := range repl {
			s = strings.ReplaceAll(s, k, v)
		}
		return os.WriteFile(filepath.Join(dst, rel), []byte(s), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dst, "kship.yaml")
}
