package manifest

import (
	"errors"

	"github.com/kship/kship/internal/input"
)

// readError turns a refusal of the input reader into an *Error naming the
// file relative to the release file's folder, its message after prefix;
// other errors are returned as they are.
func readError(dir, prefix string, err error) error {
	var ie *input.Error
	if errors.As(err, &ie) {
		return &Error{Source: Location{File: relPath(dir, ie.Path)}, Msg: prefix + ie.Message()}
	}
	return err
}
