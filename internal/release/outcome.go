package release

import (
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/record"
)

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
	Incomplete     = event.Incomplete
	Paused         = event.Paused
)

// Verdicts lists every verdict (event.Verdicts).
var Verdicts = event.Verdicts

// Revision outcomes: record's, named here for callers of this package.
const (
	OutcomePending     = record.OutcomePending
	OutcomeDeployed    = record.OutcomeDeployed
	OutcomeFailed      = record.OutcomeFailed
	OutcomeRolledBack  = record.OutcomeRolledBack
	OutcomeSuperseded  = record.OutcomeSuperseded
	OutcomeInterrupted = record.OutcomeInterrupted
	OutcomePaused      = record.OutcomePaused
)
