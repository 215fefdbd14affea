package evidence

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Only the newest check/plan folders are kept; deploy bundles, the folder
// just written, and folders kship did not name are never removed.
func TestPrunePlansKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	names := []string{
		"plan-20261201T100000Z", "plan-20261201T100000Z-2", "plan-20261201T100000Z-10",
		"plan-20261201T110000Z", "plan-20261201T120000Z",
		"1-20261201T090000Z", "2-20261201T095000Z", // deploy bundles, older than every plan
		"plan-notes", // not kship's
	}
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n, "plan.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	current := filepath.Join(dir, "plan-20261201T100000Z-2") // an old name, but the one just written
	removed, err := PrunePlans(dir, 2, current)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range removed {
		got = append(got, filepath.Base(r))
	}
	sort.Strings(got)
	if want := []string{"plan-20261201T100000Z", "plan-20261201T100000Z-10"}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("removed %v, want %v", got, want)
	}
	left, _ := os.ReadDir(dir)
	var names2 []string
	for _, e := range left {
		names2 = append(names2, e.Name())
	}
	sort.Strings(names2)
	want := []string{"1-20261201T090000Z", "2-20261201T095000Z", "plan-20261201T100000Z-2", "plan-20261201T110000Z", "plan-20261201T120000Z", "plan-notes"}
	if len(names2) != len(want) {
		t.Fatalf("left %v, want %v", names2, want)
	}
	for i := range want {
		if names2[i] != want[i] {
			t.Errorf("left %v, want %v", names2, want)
			break
		}
	}
	if removed, _ := PrunePlans(dir, 0, current); len(removed) != 0 {
		t.Errorf("keep 0 (every one) removed %v", removed)
	}
}
