package config

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one mistake in a release file, with the line (and column where
// known) it is on and a message that says what to write instead.
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors is every mistake found in one input of kship, each an E that
// names its file and line; errors.As finds each E in it. It is the one list
// type of located errors: config's ErrorList and manifest's are Errors of
// their own *Error.
type Errors[E error] []E

func (l Errors[E]) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the individual errors.
func (l Errors[E]) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Err returns nil for no error, the error itself for one, and the list for
// several.
func (l Errors[E]) Err() error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l
}

// ErrorList is every mistake found in one release file, in line order. Load
// returns it when there is more than one; errors.As finds each *Error in it.
type ErrorList = Errors[*Error]

// collector gathers errors of one file.
type collector struct {
	file string
	errs []*Error
}

func (c *collector) add(line, col int, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

// err returns nil, the single *Error, or an ErrorList sorted by line.
func (c *collector) err() error {
	sort.SliceStable(c.errs, func(i, j int) bool { return c.errs[i].Line < c.errs[j].Line })
	return ErrorList(c.errs).Err()
}
