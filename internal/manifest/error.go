package manifest

import (
	"fmt"
	"sort"
	"strings"
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
// and line; errors.As finds each *Error in it.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the individual errors.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// errs collects Errors.
type errs []*Error

func (e *errs) add(src Location, format string, args ...any) {
	*e = append(*e, &Error{Source: src, Msg: fmt.Sprintf(format, args...)})
}

// err returns nil, the single *Error, or an ErrorList in file/line order.
func (e errs) err() error {
	switch len(e) {
	case 0:
		return nil
	case 1:
		return e[0]
	}
	sort.SliceStable(e, func(i, j int) bool {
		a, b := e[i].Source, e[j].Source
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return ErrorList(e)
}
