package mcp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newState(t *testing.T) *State {
	t.Helper()
	s, err := OpenState(filepath.Join(t.TempDir(), "state"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func savedPlan(t *testing.T, s *State, release string) *PlanRecord {
	t.Helper()
	rec := &PlanRecord{Kind: PlanDeploy, Release: release, Namespace: "prod", Context: "c", Digest: "d-" + release,
		Created: time.Now(), Expires: time.Now().Add(time.Hour), ApprovalRequired: true}
	if err := s.SavePlan(rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestApprovalIsOneTimeAndBoundToItsPlan: a code verifies for its plan
// once; for another plan, forged, malformed or reused it is refused with
// words that say which.
func TestApprovalIsOneTimeAndBoundToItsPlan(t *testing.T) {
	s := newState(t)
	p1, p2 := savedPlan(t, s, "web"), savedPlan(t, s, "api")
	code := s.Approve(p1)
	if err := s.CheckApproval(code, p1); err != nil {
		t.Fatalf("a fresh code for its plan: %v", err)
	}
	refused := []struct {
		name, code string
		rec        *PlanRecord
		want       string
	}{
		{"other plan", code, p2, "was made for plan " + p1.ID},
		{"forged", "ka-aaaaaaaaaaaaaaaa-aaaaaaaaaaaaaaaaaaaaaaaa", p1, "does not verify"},
		{"malformed", "yes please", p1, "not a kship approval code"},
		{"one letter changed", code[:len(code)-1] + map[bool]string{true: "b", false: "a"}[code[len(code)-1] == 'a'], p1, "does not verify"},
	}
	for _, tt := range refused {
		if err := s.UseApproval(tt.code, tt.rec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if err := s.UseApproval(code, p1); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := s.UseApproval(code, p1); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("second use: %v", err)
	}
	other, err := OpenState(filepath.Join(t.TempDir(), "other"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.CheckApproval(other.Approve(p1), p1); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckApproval(other.Approve(p1), p1); err == nil {
		t.Fatal("a code made with another key verified")
	}
}

// TestPlanRecordsAreSigned: a record changed by hand, an id never issued
// and a path in place of an id are refused.
func TestPlanRecordsAreSigned(t *testing.T) {
	s := newState(t)
	rec := savedPlan(t, s, "web")
	if got, err := s.LoadPlan(rec.ID); err != nil || got.Digest != rec.Digest {
		t.Fatalf("load: %+v %v", got, err)
	}
	path := filepath.Join(s.dir, plansDir, rec.ID+".json")
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), `"namespace": "prod"`, `"namespace": "prod2"`, 1)), 0o600)
	if _, err := s.LoadPlan(rec.ID); err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Fatalf("edited record: %v", err)
	}
	for _, id := range []string{"p-aaaaaaaaaaaaaaaaaaaa", "../key", ""} {
		if _, err := s.LoadPlan(id); err == nil || !strings.Contains(err.Error(), "unknown plan id") {
			t.Errorf("id %q: %v", id, err)
		}
	}
}

// TestStateFolderMustBePrivate: a folder others may read is refused.
func TestStateFolderMustBePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	if _, err := OpenState(dir, nil); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("open: %v", err)
	}
}
