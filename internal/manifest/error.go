package manifest

import (
	"fmt"
	"sort"

	"github.com/kship/kship/internal/config"
)

// Error is one problem with the manifests, at the file and line it is on.
type Error struct {
	Source Location
	Msg    string
}

func (e *Error) Error() string {
	if e.Source.File == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s: %s", e.Source, e.Msg)
}

// ErrorList is every problem found while loading a source, ordered by file
// and line; errors.As finds each *Error in it. It is the list type of
// config's release-file errors, over this package's *Error.
type ErrorList = config.Errors[*Error]

// errs collects Errors.
type errs []*Error

func (e *errs) add(src Location, format string, args ...any) {
	*e = append(*e, &Error{Source: src, Msg: fmt.Sprintf(format, args...)})
}

// err returns nil, the single *Error, or an ErrorList in file/line order.
func (e errs) err() error {
	sort.SliceStable(e, func(i, j int) bool {
		a, b := e[i].Source, e[j].Source
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return ErrorList(e).Err()
}
