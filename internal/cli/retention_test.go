package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kship check keeps the release's newest --keep-plans check/plan folders
// (default 20), removes older ones, says so, and never removes a deploy
// bundle; --keep-plans 0 keeps every one.
func TestCheckKeepsTheNewestPlanFolders(t *testing.T) {
	file, ev := writeRelease(t, goodDeployment), t.TempDir()
	deployBundle := filepath.Join(ev, "web", "1-20200101T000000Z")
	if err := os.MkdirAll(deployBundle, 0o755); err != nil {
		t.Fatal(err)
	}
	plans := func() int {
		m, _ := filepath.Glob(filepath.Join(ev, "web", "plan-*"))
		return len(m)
	}
	var out string
	for i := 0; i < 3; i++ {
		var code int
		out, code = run(t, "check", "--offline", "-f", file, "--evidence-dir", ev, "--keep-plans", "2")
		if code != 0 {
			t.Fatalf("check: exit %d\n%s", code, out)
		}
	}
	if n := plans(); n != 2 {
		t.Errorf("%d check/plan folders after 3 checks with --keep-plans 2, want 2", n)
	}
	if !strings.Contains(out, "newest 2 check/plan folders are kept; 1 older removed") {
		t.Errorf("the check does not say what it kept and removed:\n%s", out)
	}
	if _, err := os.Stat(deployBundle); err != nil {
		t.Errorf("the deploy bundle was removed: %v", err)
	}
	if out, code := run(t, "check", "--offline", "-f", file, "--evidence-dir", ev, "--keep-plans", "0"); code != 0 || plans() != 3 {
		t.Errorf("--keep-plans 0: exit %d, %d folders, want 3\n%s", code, plans(), out)
	}
	if out, code := run(t, "check", "--offline", "-f", file, "--evidence-dir", ev); code != 0 || plans() != 4 || !strings.Contains(out, "newest 20 check/plan folders are kept") {
		t.Errorf("default: exit %d, %d folders, want 4 and the default of 20 named\n%s", code, plans(), out)
	}
}
