package mcp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// State is the server's state on the host, in a folder only the host user
// may read (mode 0700, files 0600, checked like ssh checks ~/.ssh): the key
// that signs plan records and approval codes, the plan records, and the
// approval codes already used. `kship approve` reads the same folder. A
// client of the MCP server never sees the key: it can neither forge a plan
// record nor an approval.
type State struct {
	dir string
	key []byte
	now func() time.Time
}

// DefaultStateDir is $XDG_STATE_HOME/kship/mcp, else ~/.local/state/kship/mcp.
func DefaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "kship", "mcp")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), fmt.Sprintf("kship-mcp-%d", os.Getuid()))
	}
	return filepath.Join(home, ".local", "state", "kship", "mcp")
}

// keyFile, plansDir and usedDir are the parts of the state folder.
const (
	keyFile  = "key"
	plansDir = "plans"
	usedDir  = "used"
	keySize  = 32
)

// OpenState opens (creating when needed) the state folder dir and its key.
// A folder or key that another user owns, or that others may read, is
// refused naming the fix.
func OpenState(dir string, now func() time.Time) (*State, error) {
	if now == nil {
		now = time.Now
	}
	for _, d := range []string{dir, filepath.Join(dir, plansDir), filepath.Join(dir, usedDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("state folder %s: %w", d, err)
		}
		if err := private(d, true); err != nil {
			return nil, err
		}
	}
	key, err := readOrCreateKey(filepath.Join(dir, keyFile))
	if err != nil {
		return nil, err
	}
	return &State{dir: dir, key: key, now: now}, nil
}

// private refuses a path that is not the host user's alone.
func private(path string, dir bool) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 || fi.IsDir() != dir {
		return fmt.Errorf("%s: must be a plain %s, not a link", path, map[bool]string{true: "folder", false: "file"}[dir])
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%s is owned by uid %d, not by this user (uid %d): refused", path, st.Uid, os.Getuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		want := "600"
		if dir {
			want = "700"
		}
		return fmt.Errorf("%s may be read by other users (mode %o): refused; run chmod %s %s", path, fi.Mode().Perm(), want, path)
	}
	return nil
}

func readOrCreateKey(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		key := make([]byte, keySize)
		if _, err := rand.Read(key); err != nil {
			f.Close()
			return nil, err
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := private(path, false); err != nil {
		return nil, err
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(key) != keySize {
		return nil, fmt.Errorf("%s: a key of %d bytes, want %d; remove it to make a new one (plans and approvals made with it become invalid)", path, len(key), keySize)
	}
	return key, nil
}

// Plan kinds: what a plan id lets the server do.
const (
	PlanDeploy   = "deploy"
	PlanRollback = "rollback"
	PlanDrill    = "drill"
)

// PlanRecord is a plan the server showed a client, kept so that a later
// deploy, rollback or drill can be checked against it and `kship approve`
// can show a human what they approve. It is signed with the state's key.
type PlanRecord struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	Context   string `json:"context"`
	Cluster   string `json:"cluster,omitempty"`
	// File is the release file (absolute) of a deploy plan.
	File string `json:"file,omitempty"`
	// ToRevision is the revision a rollback plan restores (0: kship's choice).
	ToRevision int `json:"toRevision,omitempty"`
	// Digest binds the plan to what it was computed from (planDigest).
	Digest  string    `json:"digest"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// ApprovalRequired is the policy's decision when the plan was made.
	ApprovalRequired bool `json:"approvalRequired"`
	// Summary is what the plan does, in words, Secret values masked.
	Summary string `json:"summary"`
	MAC     string `json:"mac"`
}

var planID = regexp.MustCompile(`^p-[a-z2-7]{20}$`)

// ErrUnknownPlan is a plan id this server never issued (or whose record
// expired and was removed).
var ErrUnknownPlan = errors.New("unknown plan id")

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return lower(b32.EncodeToString(b))
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// mac is the state key's HMAC-SHA256 of the parts, each length-prefixed.
func (s *State) mac(parts ...string) []byte {
	h := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

func (r PlanRecord) signed() string {
	r.MAC = ""
	b, _ := json.Marshal(r)
	return string(b)
}

// SavePlan gives rec a new id, signs it and writes it.
func (s *State) SavePlan(rec *PlanRecord) error {
	rec.ID = "p-" + randomToken(13)[:20]
	rec.MAC = hex.EncodeToString(s.mac("plan", rec.signed()))
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	s.prune()
	path := filepath.Join(s.dir, plansDir, rec.ID+".json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("record plan: %w", err)
	}
	return os.Rename(tmp, path)
}

// LoadPlan reads and verifies the plan record of id.
func (s *State) LoadPlan(id string) (*PlanRecord, error) {
	if !planID.MatchString(id) {
		return nil, fmt.Errorf("%w %q: a plan id looks like p-abcdefghijklmnopqrst; call the plan tool for one", ErrUnknownPlan, id)
	}
	data, err := os.ReadFile(filepath.Join(s.dir, plansDir, id+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %s: this server issued no such plan (or it expired and was removed); call the plan tool again", ErrUnknownPlan, id)
	}
	if err != nil {
		return nil, err
	}
	var rec PlanRecord
	if err := json.Unmarshal(data, &rec); err != nil || rec.ID != id {
		return nil, fmt.Errorf("plan %s: its record is damaged: refused", id)
	}
	want := s.mac("plan", rec.signed())
	got, err := hex.DecodeString(rec.MAC)
	if err != nil || !hmac.Equal(got, want) {
		return nil, fmt.Errorf("plan %s: its record is not signed by this server's key (changed by hand?): refused", id)
	}
	return &rec, nil
}

// plans lists every valid plan record.
func (s *State) plans() []*PlanRecord {
	entries, _ := os.ReadDir(filepath.Join(s.dir, plansDir))
	var out []*PlanRecord
	for _, e := range entries {
		id := trimSuffix(e.Name(), ".json")
		if rec, err := s.LoadPlan(id); err == nil {
			out = append(out, rec)
		}
	}
	return out
}

func trimSuffix(s, suf string) string {
	if len(s) >= len(suf) && s[len(s)-len(suf):] == suf {
		return s[:len(s)-len(suf)]
	}
	return s
}

// prune removes plan records a day past their expiry.
func (s *State) prune() {
	dir := filepath.Join(s.dir, plansDir)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && s.now().Sub(info.ModTime()) > MaxPlanTTL+24*time.Hour {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
