// Package exitcode defines kship's process exit codes (DESIGN.md), once:
// release gives each verdict its code and cli maps every error to one.
package exitcode

// The exit codes of every kship command.
const (
	// OK: verified success (or, for commands that ship nothing, success).
	OK = 0
	// Input: a usage or input error (bad flag, unreadable file, unreachable
	// cluster, unknown release).
	Input = 1
	// Refused: refused by a check or guardrail; nothing was applied.
	Refused = 2
	// RolledBack: the release failed, was rolled back, and the rollback
	// was verified.
	RolledBack = 3
	// RollbackFailed: the release failed and the rollback failed or was
	// not possible, or the run could not finish (it lost the release lock,
	// or could not record its result); a human must act.
	RollbackFailed = 4
	// Unverified: applied, but nothing proved it works.
	Unverified = 5
	// Paused: rolled out part way and paused by the release's own step (a
	// canary's pause without a duration); kship promote continues it,
	// kship abort rolls it back.
	Paused = 6
)

// All lists every exit code, in order.
var All = []int{OK, Input, Refused, RolledBack, RollbackFailed, Unverified, Paused}

// Meaning says in a few words what code means; "" for a code kship never
// returns.
func Meaning(code int) string {
	switch code {
	case OK:
		return "verified"
	case Input:
		return "usage or input error"
	case Refused:
		return "refused by a check or guardrail, nothing applied"
	case RolledBack:
		return "failed, rolled back, rollback verified"
	case RollbackFailed:
		return "a human must act: failed and the rollback failed or was not possible, or the run could not finish (lost its lock, or could not record its result)"
	case Unverified:
		return "applied but not verified"
	case Paused:
		return "paused part way by the release's own step: kship promote or kship abort"
	}
	return ""
}
