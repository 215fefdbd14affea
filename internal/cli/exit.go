package cli

import (
	"errors"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/exitcode"
)

// ExitError is an error with the exit code a command chose for it (a
// refusal, say); ExitCode maps it.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// outcomeError is the end of a deploy or rollback: its outcome, and the
// error that stopped it from reaching a verdict (nil when it did).
type outcomeError struct {
	out *event.Outcome
	err error
}

func (e *outcomeError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return e.out.Summary
}

func (e *outcomeError) Unwrap() error { return e.err }

// printed reports whether err is an outcome the command's view already
// printed whole (its summary says why), so Main does not say it again on
// stderr; an attempt that could not finish still gets its error line.
func printed(err error) bool {
	var oe *outcomeError
	return errors.As(err, &oe) && oe.err == nil
}

// ExitCode maps an error returned by a command to kship's exit code; it is
// the one place where that happens. nil is success; a deploy's or
// rollback's outcome exits with its verdict's code (event.Verdict
// ExitCode), or 4 when the attempt could not finish; an ExitError with its code; every other error (bad
// flags, unreadable files, an unreachable cluster, an unknown release) is
// an input error.
func ExitCode(err error) int {
	if err == nil {
		return exitcode.OK
	}
	var oe *outcomeError
	if errors.As(err, &oe) {
		if oe.err != nil {
			return exitcode.RollbackFailed
		}
		return oe.out.ExitCode
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return exitcode.Input
}

// inputErr marks err as bad input (exit 1), as every unmarked error is; it
// documents the intent where a command returns one.
func inputErr(err error) error {
	return &ExitError{Code: exitcode.Input, Err: err}
}

// refused marks err as a refusal before any write (exit 2).
func refused(err error) error {
	return &ExitError{Code: exitcode.Refused, Err: err}
}
