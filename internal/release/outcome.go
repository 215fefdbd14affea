package release

import "github.com/kship/kship/internal/event"

// Outcome is the result of one `kship deploy` or `kship rollback`
// (event.Outcome: the views and the evidence bundle render it too).
type Outcome = event.Outcome

// Verdict is the class of an attempt's result; each has its exit code.
type Verdict = event.Verdict

// The verdicts of a deploy or rollback (event's).
const (
	Verified       = event.Verified
	Refused        = event.Refused
	RolledBack     = event.RolledBack
	RollbackFailed = event.RollbackFailed
	Unverified     = event.Unverified
)

// Verdicts lists every verdict (event.Verdicts).
var Verdicts = event.Verdicts
