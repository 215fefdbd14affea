package event

import (
	"time"

	"github.com/kship/kship/internal/exitcode"
)

// Verdict is the class of a release attempt's result; each maps to one exit
// code of DESIGN.md.
type Verdict string

// The verdicts of a deploy or rollback.
const (
	// Verified: applied, rolled out, smoke checks and gates passed.
	Verified Verdict = "verified"
	// Refused: a check, guardrail or the lock refused the release before
	// any write.
	Refused Verdict = "refused"
	// RolledBack: the release failed and the rollback ran and was verified.
	RolledBack Verdict = "rolled-back"
	// RollbackFailed: the release failed and the rollback failed or was not
	// attempted (manual method); a human must act.
	RollbackFailed Verdict = "rollback-failed"
	// Unverified: applied and rolled out, but nothing proved it works (no
	// smoke check and no gate, or a gate was inconclusive).
	Unverified Verdict = "deployed-unverified"
	// Incomplete: the run stopped before it could finish or record its
	// result: it lost the release lock to another run, or the cluster
	// could not be reached to record the verdict. The summary says what
	// runs; a human must look (exit 4, as RollbackFailed).
	Incomplete Verdict = "incomplete"
	// Paused: rolled out part way and paused by the release's own step (a
	// canary's pause without a duration), waiting for kship promote or
	// kship abort; the previous revision is still the deployed one.
	Paused Verdict = "paused"
)

// Verdicts lists every verdict; each has its own exit code but Incomplete,
// which shares RollbackFailed's (a human must act).
var Verdicts = []Verdict{Verified, Refused, RolledBack, RollbackFailed, Unverified, Incomplete, Paused}

// ExitCode is the process exit code of the verdict (DESIGN.md).
func (v Verdict) ExitCode() int {
	switch v {
	case Verified:
		return exitcode.OK
	case Refused:
		return exitcode.Refused
	case RolledBack:
		return exitcode.RolledBack
	case RollbackFailed, Incomplete:
		return exitcode.RollbackFailed
	case Unverified:
		return exitcode.Unverified
	case Paused:
		return exitcode.Paused
	}
	return exitcode.Input
}

// Outcome is the result of one `kship deploy` or `kship rollback`: what
// the executor returns, what the summary view prints and what the evidence
// bundle records.
type Outcome struct {
	Release   string  `json:"release"`
	Namespace string  `json:"namespace"`
	Verdict   Verdict `json:"verdict"`
	ExitCode  int     `json:"exitCode"`
	// Revision is the revision this attempt created (0 when refused before
	// a revision was recorded).
	Revision int `json:"revision"`
	// RollbackRevision is the revision recorded by the rollback, if any.
	RollbackRevision int `json:"rollbackRevision,omitempty"`
	// RestoredOrigin is what the rollback restored when it was no kship
	// revision (RestoredRevision is then 0): what ran before kship's first
	// revision, as the mechanism's history keeps it.
	RestoredOrigin *Origin `json:"restoredOrigin,omitempty"`
	// RestoredRevision is the revision the rollback restored (0: the first
	// release was removed).
	RestoredRevision int    `json:"restoredRevision,omitempty"`
	EvidenceDir      string `json:"evidenceDir,omitempty"`
	// Summary is one sentence saying what happened.
	Summary string `json:"summary"`
	// Trigger is why the release was rolled back or failed, if it was.
	Trigger string `json:"trigger,omitempty"`
	// Checked lists what verification actually measured.
	Checked []string `json:"checked,omitempty"`
	// ManualSteps are the commands a human runs when the rollback failed
	// or was not attempted.
	ManualSteps string    `json:"manualSteps,omitempty"`
	StartedAt   time.Time `json:"startedAt"`
	FinishedAt  time.Time `json:"finishedAt"`
}

// Duration is how long the attempt took.
func (o *Outcome) Duration() time.Duration { return o.FinishedAt.Sub(o.StartedAt) }

// Origin names what a release ran before kship's first revision of it, in
// the mechanism's own history: another client's Helm revision, which a
// rollback of kship's first revision restores.
type Origin struct {
	// Revision is its number in the mechanism's history (Helm's).
	Revision int `json:"revision"`
	// Name names it ("Helm revision 1"); By says who wrote it.
	Name string `json:"name"`
	By   string `json:"by,omitempty"`
}

// String is o's name with who wrote it.
func (o *Origin) String() string {
	if o.By == "" {
		return o.Name
	}
	return o.Name + " (" + o.By + ")"
}
