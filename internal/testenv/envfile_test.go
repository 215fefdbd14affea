package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	content := "# comment\nKUBECONFIG=/r/.localcluster/kubeconfig\nKSHIP_INGRESS='127.0.0.1:4000'\nexport KSHIP_PROMETHEUS=\"http://127.0.0.1:9\"\nexport KUBECONFIG KSHIP_INGRESS KSHIP_PROMETHEUS\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	vars, err := readEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"KUBECONFIG":       "/r/.localcluster/kubeconfig",
		"KSHIP_INGRESS":    "127.0.0.1:4000",
		"KSHIP_PROMETHEUS": "http://127.0.0.1:9",
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q", k, vars[k], v)
		}
	}
	if len(vars) != len(want) {
		t.Errorf("vars = %v, want exactly %v", vars, want)
	}
}

func TestReadEnvFileMissing(t *testing.T) {
	if _, err := readEnvFile(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("readEnvFile of a missing file: no error")
	}
}

func TestRepoRootFindsKshipModule(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if !isRepoRoot(root) {
		t.Errorf("RepoRoot() = %s, which has no kship go.mod", root)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "testenv")); err != nil {
		t.Errorf("RepoRoot() = %s: %v", root, err)
	}
}
