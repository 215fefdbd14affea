package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMakeTestFuzzes keeps `make test` fuzzing (issue 7, item 8): its
// recipe runs test-fuzz-short, FUZZ_SHORT is a bounded count of executions
// per target (a duration races Go 1.26's fuzz coordinator at the end of the
// window and fails with "context deadline exceeded" on a loaded machine,
// go.dev/issue/75804), and FUZZ_TARGETS lists every Go fuzz target of the
// repository, so a new one is fuzzed too.
func TestMakeTestFuzzes(t *testing.T) {
	root := filepath.Join("..", "..")
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(mk)
	if recipe := ruleRecipe(text, "test"); !strings.Contains(recipe, "test-fuzz-short") {
		t.Errorf("make test does not run test-fuzz-short; its recipe:\n%s", recipe)
	}
	short := regexp.MustCompile(`(?m)^FUZZ_SHORT\s*\??=\s*(\S+)`).FindStringSubmatch(text)
	if short == nil {
		t.Fatal("Makefile sets no FUZZ_SHORT")
	}
	count, err := strconv.Atoi(strings.TrimSuffix(short[1], "x"))
	if !strings.HasSuffix(short[1], "x") || err != nil || count < 1000 || count > 10000 {
		t.Errorf("FUZZ_SHORT = %s: want a count of executions, 1000x to 10000x (a duration races the fuzz coordinator's deadline)", short[1])
	}
	targets := regexp.MustCompile(`(?m)^FUZZ_TARGETS\s*:?=\s*(.*)$`).FindStringSubmatch(text)
	if targets == nil {
		t.Fatal("Makefile sets no FUZZ_TARGETS")
	}
	listed := map[string]bool{}
	for _, f := range strings.Fields(targets[1]) {
		listed[f] = true
	}
	if len(listed)*count > 30000 {
		t.Errorf("%d targets of %s each: more than 30,000 executions of fuzzing in make test", len(listed), short[1])
	}
	found := 0
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(\w+ \*testing\.F\)`)
	err = filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, m := range fuzzFunc.FindAllStringSubmatch(string(src), -1) {
			found++
			if want := "./" + filepath.ToSlash(rel) + ":" + m[1]; !listed[want] {
				t.Errorf("fuzz target %s is not in the Makefile's FUZZ_TARGETS", want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("found no fuzz target under internal/")
	}
}

// ruleRecipe returns the recipe lines of a Makefile rule.
func ruleRecipe(mk, target string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(mk, "\n") {
		switch {
		case strings.HasPrefix(line, target+":"):
			in = true
		case in && strings.HasPrefix(line, "\t"):
			b.WriteString(line + "\n")
		case in:
			return b.String()
		}
	}
	return b.String()
}
