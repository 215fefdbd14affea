package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Lookback is how far before its evaluation time t an instant query reads
// samples: its window is [t - Total, t]. It comes from the parse tree: the
// largest range plus offset over every selector, a subquery adding its
// range and offset to those of the expression inside it. An instant
// selector (no range) reads each series' latest sample, so it adds only
// its offset.
type Lookback struct {
	// Total is Range + Offset on the path that reaches back furthest.
	Total time.Duration `json:"total"`
	// Range is the sum of the range and subquery ranges on that path.
	Range time.Duration `json:"range"`
	// Offset is the sum of the offsets on that path.
	Offset time.Duration `json:"offset,omitempty"`
}

// String says what the lookback is made of: "range 20s", "range 1m +
// offset 1h", or "latest samples" for a query without ranges or offsets.
func (l Lookback) String() string {
	var parts []string
	if l.Range > 0 {
		parts = append(parts, "range "+l.Range.String())
	}
	if l.Offset > 0 {
		parts = append(parts, "offset "+l.Offset.String())
	}
	if len(parts) == 0 {
		return "latest samples"
	}
	return strings.Join(parts, " + ")
}

// QueryError is a gate query kship cannot use: a PromQL syntax error (with
// the parser's position in the query as written) or a query whose window
// kship cannot bound.
type QueryError struct {
	// Pos is the 0-based byte offset in the query as written where the
	// parser stopped; -1 when the error is not about one place.
	Pos int
	// Line and Column are Pos as the parser counts them (1-based).
	Line, Column int
	Msg          string
}

func (e *QueryError) Error() string { return e.Msg }

// promqlParser accepts experimental functions and fill modifiers: kship
// checks queries before a Prometheus that may have them enabled sees them,
// and must not refuse what that server accepts.
var promqlParser = parser.NewParser(parser.Options{EnableExperimentalFunctions: true, EnableBinopFillModifiers: true})

// ParseQuery parses an expanded gate query (no template variables left)
// with Prometheus' own PromQL parser.
func ParseQuery(q string) (parser.Expr, error) {
	expr, err := promqlParser.ParseExpr(q)
	if err != nil {
		return nil, err
	}
	return expr, nil
}

// AnalyzeQuery parses an expanded gate query and checks that it can be a
// gate: an instant vector or a scalar, with a lookback kship can compute.
func AnalyzeQuery(q string) (parser.Expr, Lookback, error) {
	expr, err := ParseQuery(q)
	if err != nil {
		return nil, Lookback{}, err
	}
	switch t := expr.Type(); t {
	case parser.ValueTypeVector, parser.ValueTypeScalar:
	case parser.ValueTypeMatrix:
		return nil, Lookback{}, errors.New("returns a range vector; a gate needs one number per series: wrap it in rate(), avg_over_time() or similar")
	default:
		return nil, Lookback{}, fmt.Errorf("returns a %s; a gate needs an instant vector or a scalar", t)
	}
	lb, err := QueryLookback(expr)
	if err != nil {
		return nil, Lookback{}, err
	}
	return expr, lb, nil
}

// placeholderHash stands for the new pods' pod-template-hash while a
// query is checked at load.
const placeholderHash = "kshiphash0"

// CheckQuery is the load-time check of a gate query as written: its
// template variables are known, it parses (a syntax error says where, in
// the query as written), it is an instant vector or scalar and its
// lookback can be computed. v holds what is known at load (namespace,
// release); the revision and pod-template-hash get placeholders.
func CheckQuery(q string, v QueryVars) (Lookback, error) {
	v.Revision = 1
	v.PodTemplateHashes = []string{placeholderHash}
	if v.Namespace == "" {
		v.Namespace = "namespace"
	}
	if v.Release == "" {
		v.Release = "release"
	}
	expanded, from, err := expandVars(q, v.value)
	if err != nil {
		return Lookback{}, &QueryError{Pos: -1, Msg: err.Error()}
	}
	expr, lb, err := AnalyzeQuery(expanded)
	if err != nil {
		return Lookback{}, queryError(q, expanded, from, err)
	}
	if err := hashInRegex(expr); err != nil {
		return Lookback{}, &QueryError{Pos: -1, Msg: err.Error()}
	}
	return lb, nil
}

// queryError turns a parser error into a QueryError positioned in the
// query as written.
func queryError(q, expanded string, from []int, err error) error {
	var pe *parser.ParseErr
	var list parser.ParseErrors
	switch {
	case errors.As(err, &list) && len(list) > 0:
		pe = &list[0]
	case errors.As(err, &pe):
	default:
		return &QueryError{Pos: -1, Msg: err.Error()}
	}
	pos := int(pe.PositionRange.Start)
	if pos < 0 || pos >= len(from) {
		pos = len(expanded)
	}
	orig := from[min(pos, len(from)-1)]
	line, col := lineCol(q, orig)
	msg := fmt.Sprintf("PromQL syntax error at %d:%d of the query", line, col)
	if before := excerptBefore(q, orig); before != "" {
		msg += fmt.Sprintf(" (after %q)", before)
	}
	return &QueryError{Pos: orig, Line: line, Column: col, Msg: msg + ": " + pe.Err.Error()}
}

func lineCol(q string, pos int) (int, int) {
	line, last := 1, -1
	for i := 0; i < pos && i < len(q); i++ {
		if q[i] == '\n' {
			line, last = line+1, i
		}
	}
	return line, pos - last
}

// excerptBefore is up to 40 characters of q before pos, on pos's line
// ("..." when cut).
func excerptBefore(q string, pos int) string {
	start := max(0, pos-40)
	s := q[start:min(pos, len(q))]
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s, start = s[i+1:], 0
	}
	if s = strings.TrimLeft(s, " \t"); start > 0 {
		s = "..." + s
	}
	return s
}

// hashInRegex refuses {{.PodTemplateHash}} outside a regular-expression
// matcher: with several Deployments it expands to "h1|h2", which only =~
// and !~ read as alternatives.
func hashInRegex(expr parser.Expr) error {
	var bad string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		for _, m := range vs.LabelMatchers {
			regex := m.Type == labels.MatchRegexp || m.Type == labels.MatchNotRegexp
			if strings.Contains(m.Value, placeholderHash) && !regex && bad == "" {
				bad = m.Name
			}
		}
		return nil
	})
	if bad != "" {
		return fmt.Errorf("write {{.%s}} in a regular-expression matcher, %s=~\"{{.%s}}\": a release with several Deployments has one hash each, joined with |", VarPodTemplateHash, bad, VarPodTemplateHash)
	}
	return nil
}

// QueryLookback computes a parsed query's lookback. A selector pinned to a
// fixed time (@ <timestamp>), a negative offset, a duration expression
// (such as [1h / 2]) and the anchored and smoothed modifiers are refused:
// kship could not say which samples such a query reads.
func QueryLookback(n parser.Node) (Lookback, error) {
	switch e := n.(type) {
	case *parser.MatrixSelector:
		if e.RangeExpr != nil {
			return Lookback{}, fmt.Errorf("the range [%s] is a duration expression; write it as one duration, e.g. [5m]", e.RangeExpr)
		}
		vs, ok := e.VectorSelector.(*parser.VectorSelector)
		if !ok {
			return Lookback{}, fmt.Errorf("%s: a range needs a metric selector", e)
		}
		off, err := selectorOffset(vs, e.String())
		if err != nil {
			return Lookback{}, err
		}
		return Lookback{Total: e.Range + off, Range: e.Range, Offset: off}, nil
	case *parser.VectorSelector:
		off, err := selectorOffset(e, e.String())
		return Lookback{Total: off, Offset: off}, err
	case *parser.SubqueryExpr:
		return subqueryLookback(e)
	}
	var worst Lookback
	for _, c := range parser.Children(n) {
		l, err := QueryLookback(c)
		if err != nil {
			return Lookback{}, err
		}
		if l.Total > worst.Total {
			worst = l
		}
	}
	return worst, nil
}

func subqueryLookback(e *parser.SubqueryExpr) (Lookback, error) {
	what := "the subquery " + e.String()
	switch {
	case e.RangeExpr != nil || e.StepExpr != nil || e.OriginalOffsetExpr != nil:
		return Lookback{}, fmt.Errorf("%s uses a duration expression; write its range, step and offset as plain durations, e.g. [5m:30s]", what)
	case e.Timestamp != nil:
		return Lookback{}, atRefused(what)
	case e.OriginalOffset < 0:
		return Lookback{}, negativeOffset(what)
	}
	inner, err := QueryLookback(e.Expr)
	if err != nil {
		return Lookback{}, err
	}
	l := Lookback{Range: e.Range + inner.Range, Offset: e.OriginalOffset + inner.Offset}
	l.Total = l.Range + l.Offset
	return l, nil
}

// selectorOffset checks a selector's modifiers and returns its offset.
// @ start() and @ end() are the evaluation time itself in an instant query.
func selectorOffset(vs *parser.VectorSelector, what string) (time.Duration, error) {
	switch {
	case vs.OriginalOffsetExpr != nil:
		return 0, fmt.Errorf("%s: the offset is a duration expression; write it as one duration, e.g. offset 5m", what)
	case vs.Timestamp != nil:
		return 0, atRefused(what)
	case vs.OriginalOffset < 0:
		return 0, negativeOffset(what)
	case vs.Anchored || vs.Smoothed:
		return 0, fmt.Errorf("%s: the anchored and smoothed modifiers read samples before the range (as far back as the server's lookback delta), so kship cannot bound the gate's window; remove the modifier", what)
	}
	return vs.OriginalOffset, nil
}

func atRefused(what string) error {
	return fmt.Errorf("%s is pinned to a fixed time with @; a gate must measure the time it is evaluated at (the new revision's data), so remove the @ modifier (@ start() and @ end() are allowed: they are the evaluation time)", what)
}

func negativeOffset(what string) error {
	return fmt.Errorf("%s has a negative offset: it reads samples after the evaluation time, which do not exist yet when a gate is evaluated; remove it", what)
}
