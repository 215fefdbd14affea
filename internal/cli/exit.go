package cli

import "errors"

// Exit codes, as in DESIGN.md.
const (
	ExitOK          = 0 // verified success
	ExitInput       = 1 // usage or input error
	ExitRefused     = 2 // refused by a check or guardrail, nothing applied
	ExitRolledBack  = 3 // release failed, rolled back, rollback verified
	ExitRollbackBad = 4 // release failed and rollback failed or was impossible
	ExitUnverified  = 5 // applied but not verified
)

// ExitError carries an exit code with an error; Main maps it.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode maps an error returned by a command to kship's exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitInput
}
