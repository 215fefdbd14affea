package mcp

import (
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// An approval is a one-time code a human makes for one plan with
// `kship approve PLAN-ID`, outside MCP: "ka-" + a random nonce + the
// state key's HMAC of the nonce, the plan id and the plan's digest. The
// server checks the HMAC (a code for another plan, or made without the
// key, does not verify) and marks the nonce used when the change goes
// ahead (a used code is refused); the key never leaves the host user's
// state folder.

var approvalCode = regexp.MustCompile(`^ka-([a-z2-7]{16})-([a-z2-7]{24})$`)

// ApprovalError is a refused approval, in words that say what to do.
type ApprovalError struct{ Msg string }

func (e *ApprovalError) Error() string { return e.Msg }

func (s *State) approvalMAC(nonce string, rec *PlanRecord) string {
	return lower(b32.EncodeToString(s.mac("approval", nonce, rec.ID, rec.Digest)[:15]))
}

// Approve makes a one-time approval code for a plan record.
func (s *State) Approve(rec *PlanRecord) string {
	nonce := randomToken(10)
	return "ka-" + nonce + "-" + s.approvalMAC(nonce, rec)
}

// CheckApproval verifies code for rec without using it: refused when it
// is malformed, forged, made for another plan, or already used.
func (s *State) CheckApproval(code string, rec *PlanRecord) error {
	m := approvalCode.FindStringSubmatch(code)
	if m == nil {
		return &ApprovalError{Msg: "the approval is not a kship approval code (ka-…): a human makes one with `kship approve " + rec.ID + "` in a terminal"}
	}
	nonce, mac := m[1], m[2]
	if !hmac.Equal([]byte(mac), []byte(s.approvalMAC(nonce, rec))) {
		for _, other := range s.plans() {
			if other.ID != rec.ID && hmac.Equal([]byte(mac), []byte(s.approvalMAC(nonce, other))) {
				return &ApprovalError{Msg: fmt.Sprintf("the approval was made for plan %s (release %s in namespace %s), not for plan %s: refused; an approval holds for one plan only, a human runs `kship approve %s`",
					other.ID, other.Release, other.Namespace, rec.ID, rec.ID)}
			}
		}
		return &ApprovalError{Msg: "the approval code does not verify for plan " + rec.ID + " (forged, mistyped, or made with another server's key): refused"}
	}
	if used, err := s.used(nonce); err == nil {
		return &ApprovalError{Msg: fmt.Sprintf("the approval code was already used at %s for plan %s: refused; an approval is good for one change, a human runs `kship approve %s` again",
			used.At.UTC().Format(time.RFC3339), used.Plan, rec.ID)}
	}
	return nil
}

type usedApproval struct {
	Plan string    `json:"plan"`
	At   time.Time `json:"at"`
}

func (s *State) used(nonce string) (*usedApproval, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, usedDir, nonce))
	if err != nil {
		return nil, err
	}
	var u usedApproval
	err = json.Unmarshal(data, &u)
	return &u, err
}

// UseApproval checks code for rec and marks it used, atomically across
// every server process sharing the state folder (the first to create the
// nonce's file wins).
func (s *State) UseApproval(code string, rec *PlanRecord) error {
	if err := s.CheckApproval(code, rec); err != nil {
		return err
	}
	nonce := approvalCode.FindStringSubmatch(code)[1]
	f, err := os.OpenFile(filepath.Join(s.dir, usedDir, nonce), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return s.CheckApproval(code, rec) // says when and for what it was used
	}
	if err != nil {
		return fmt.Errorf("record the approval's use: %w", err)
	}
	defer f.Close()
	return json.NewEncoder(f).Encode(usedApproval{Plan: rec.ID, At: s.now()})
}
