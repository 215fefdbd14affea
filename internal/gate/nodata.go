package gate

import (
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Reason says why a gate query returned no data.
type Reason string

// Reasons of a Diagnosis.
const (
	// ReasonNoSeries: the metric name has no series in Prometheus at all.
	ReasonNoSeries Reason = "no-series"
	// ReasonMatchers: the metric has series, but the matchers select none.
	ReasonMatchers Reason = "matchers-select-none"
	// ReasonTooFewSamples: the selected series have too few samples in
	// the range (not scraped long enough yet).
	ReasonTooFewSamples Reason = "too-few-samples"
	// ReasonNumeratorEmpty: only the numerator of a ratio has no series.
	// For a sum or count that means nothing was counted: the value is 0.
	ReasonNumeratorEmpty Reason = "numerator-empty"
	// ReasonZeroDenominator: the denominator is 0 (no traffic): 0/0.
	ReasonZeroDenominator Reason = "zero-denominator"
	// ReasonNoMatch: both sides of a ratio have series, none on the same labels.
	ReasonNoMatch Reason = "sides-do-not-match"
	// ReasonOperators: every selector has data; the query's operators
	// (a comparison, absent(), vector matching) removed all of it.
	ReasonOperators Reason = "operators-removed-all"
	// ReasonUnknown: kship could not find out (a probe failed).
	ReasonUnknown Reason = "unknown"
)

// Diagnosis is what kship found out, by asking Prometheus, about a gate
// query that returned no data.
type Diagnosis struct {
	Reason Reason `json:"reason"`
	// Selector is the selector at fault, as the query has it.
	Selector string `json:"selector,omitempty"`
	// Matchers are the label matchers that empty Selector.
	Matchers []string `json:"matchers,omitempty"`
	// Zero is true when the gate is judged on the value 0: the numerator
	// of a ratio of sums or counts counted nothing.
	Zero bool `json:"zero,omitempty"`
	// Message explains the reason in one sentence.
	Message string `json:"message"`
	// Probes are the queries kship sent to find out, with their results.
	Probes []Probe `json:"probes,omitempty"`
}

// Probe is one query sent to explain an empty result.
type Probe struct {
	Query  string   `json:"query"`
	Series []Series `json:"series,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// ratio is a query numerator / denominator.
type ratio struct {
	num, den parser.Expr
	// zeroable: an empty numerator stands for 0 (a sum or count, maybe
	// scaled by a number) and the division matches on all labels.
	zeroable bool
}

// splitRatio recognizes a query whose outermost operation is a division of
// two instant vectors.
func splitRatio(e parser.Expr) (ratio, bool) {
	b, ok := unparen(e).(*parser.BinaryExpr)
	if !ok || b.Op != parser.DIV || b.ReturnBool ||
		b.LHS.Type() != parser.ValueTypeVector || b.RHS.Type() != parser.ValueTypeVector {
		return ratio{}, false
	}
	plain := b.VectorMatching == nil || (b.VectorMatching.Card == parser.CardOneToOne && !b.VectorMatching.On && len(b.VectorMatching.MatchingLabels) == 0)
	return ratio{num: b.LHS, den: b.RHS, zeroable: plain && zeroWhenEmpty(b.LHS)}, true
}

// zeroWhenEmpty reports whether an empty result of e means 0: a sum or a
// count over nothing, or such a value times or divided by a number.
func zeroWhenEmpty(e parser.Expr) bool {
	switch n := unparen(e).(type) {
	case *parser.AggregateExpr:
		return n.Op == parser.SUM || n.Op == parser.COUNT
	case *parser.BinaryExpr:
		if n.Op != parser.MUL && n.Op != parser.DIV {
			return false
		}
		if n.RHS.Type() == parser.ValueTypeScalar {
			return zeroWhenEmpty(n.LHS)
		}
		return n.Op == parser.MUL && n.LHS.Type() == parser.ValueTypeScalar && zeroWhenEmpty(n.RHS)
	}
	return false
}

func unparen(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// probeResult is what one probe query returned.
type probeResult struct {
	series []Series
	err    error
}

// ratioOutcome is explainRatio's answer: a final diagnosis (with the
// zero-valued series when the ratio is 0), or the side to look into next.
type ratioOutcome struct {
	done   bool
	d      Diagnosis
	zero   []Series
	next   parser.Expr
	prefix string
}

// explainRatio decides, from what the numerator and the denominator
// returned on their own, why their ratio had no data.
func explainRatio(r ratio, num, den probeResult) ratioOutcome {
	if err := firstErr(num.err, den.err); err != nil {
		return ratioOutcome{done: true, d: Diagnosis{Reason: ReasonUnknown, Message: "kship could not ask Prometheus why: " + err.Error()}}
	}
	if len(den.series) == 0 {
		return ratioOutcome{next: r.den, prefix: fmt.Sprintf("the denominator %s returned no series", r.den)}
	}
	var zero []Series
	for _, s := range withData(den.series) {
		if s.Value != 0 {
			zero = append(zero, Series{Labels: s.Labels, Value: 0})
		}
	}
	if len(zero) == 0 {
		return ratioOutcome{done: true, d: Diagnosis{Reason: ReasonZeroDenominator, Selector: r.den.String(),
			Message: fmt.Sprintf("the denominator %s is 0: nothing was counted in the window (no traffic?), and 0/0 is no data", r.den)}}
	}
	if len(num.series) > 0 {
		return ratioOutcome{done: true, d: Diagnosis{Reason: ReasonNoMatch,
			Message: fmt.Sprintf("the numerator (series %s) and the denominator (series %s) both have data, but no series of one has the labels of a series of the other; aggregate both sides to the same labels, e.g. sum(...) / sum(...)",
				labelSets(num.series), labelSets(den.series))}}
	}
	if r.zeroable {
		return ratioOutcome{done: true, zero: zero, d: Diagnosis{Reason: ReasonNumeratorEmpty, Zero: true, Selector: r.num.String(),
			Message: fmt.Sprintf("the numerator %s returned no series (nothing it counts happened, e.g. no errors) while the denominator has data, so the ratio is 0", r.num)}}
	}
	return ratioOutcome{next: r.num, prefix: fmt.Sprintf("only the numerator %s is empty (and an empty result of it is not 0)", r.num)}
}

func labelSets(series []Series) string {
	var out []string
	for i, s := range series {
		if i == 3 {
			out = append(out, "...")
			break
		}
		l := s.Labels
		if l == "" {
			l = "{}"
		}
		out = append(out, l)
	}
	return strings.Join(out, ", ")
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// selectorPlan is the probe queries that tell why one selector of a query
// selects nothing.
type selectorPlan struct {
	// selector is the selector as the query has it (with its range).
	selector string
	// name is the metric name; nameQuery counts its series ("" when the
	// selector has no metric name).
	name, nameQuery string
	// fullQuery counts the series the selector selects (without range).
	fullQuery string
	// without are the selector with one matcher left out.
	without []matcherProbe
	// rangeQuery finds the most samples a series has in the range; ""
	// for an instant selector. need is how many the function needs.
	rangeQuery, rng, fn string
	need                int
}

// matcherProbe counts the series of a selector with one matcher left out
// (rest is that selector).
type matcherProbe struct {
	matcher, rest, query string
}

// twoSamples are the functions that need two samples in their range.
var twoSamples = map[string]bool{"rate": true, "irate": true, "increase": true, "delta": true, "idelta": true, "deriv": true, "predict_linear": true}

// planSelectors lists the probes for every selector of e, in query order,
// each selector once.
func planSelectors(e parser.Expr) []selectorPlan {
	var plans []selectorPlan
	seen := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		var p selectorPlan
		switch s := n.(type) {
		case *parser.MatrixSelector:
			vs, ok := s.VectorSelector.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			p = planSelector(vs)
			p.selector, p.rng, p.need = s.String(), s.Range.String(), 1
			p.rangeQuery = fmt.Sprintf("max(count_over_time(%s))", s)
			if len(path) > 0 {
				if c, ok := path[len(path)-1].(*parser.Call); ok {
					p.fn = c.Func.Name
					if twoSamples[p.fn] {
						p.need = 2
					}
				}
			}
		case *parser.VectorSelector:
			if len(path) > 0 {
				if _, inRange := path[len(path)-1].(*parser.MatrixSelector); inRange {
					return nil
				}
			}
			p = planSelector(s)
		default:
			return nil
		}
		if !seen[p.selector] {
			seen[p.selector] = true
			plans = append(plans, p)
		}
		return nil
	})
	return plans
}

func planSelector(vs *parser.VectorSelector) selectorPlan {
	p := selectorPlan{selector: vs.String(), name: vs.Name, fullQuery: "count(" + vs.String() + ")"}
	var others []*labels.Matcher
	var nameM *labels.Matcher
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual && m.Value == vs.Name {
			nameM = m
			continue
		}
		others = append(others, m)
	}
	if nameM != nil {
		p.nameQuery = "count(" + withMatchers(vs, []*labels.Matcher{nameM}).String() + ")"
	}
	if nameM == nil && len(others) < 2 {
		return p // leaving out the only matcher selects everything
	}
	for i, m := range others {
		rest := append([]*labels.Matcher(nil), others[:i]...)
		rest = append(rest, others[i+1:]...)
		if nameM != nil {
			rest = append(rest, nameM)
		}
		sel := withMatchers(vs, rest).String()
		p.without = append(p.without, matcherProbe{matcher: matcherString(m), rest: sel, query: "count(" + sel + ")"})
	}
	return p
}

// withMatchers is a copy of vs with other matchers.
func withMatchers(vs *parser.VectorSelector, ms []*labels.Matcher) *parser.VectorSelector {
	c := *vs
	c.LabelMatchers = ms
	return &c
}

func matcherString(m *labels.Matcher) string {
	return m.Name + m.Type.String() + fmt.Sprintf("%q", m.Value)
}

// queries are every probe query of the plan.
func (p selectorPlan) queries() []string {
	var qs []string
	for _, q := range []string{p.nameQuery, p.fullQuery, p.rangeQuery} {
		if q != "" {
			qs = append(qs, q)
		}
	}
	for _, w := range p.without {
		qs = append(qs, w.query)
	}
	return qs
}

// explainSelectors decides, from the probes' results, which selector
// empties the query and why; the first selector at fault (in query order)
// is the answer. A failed probe is an unknown reason, but only when the
// answer needs it.
func explainSelectors(plans []selectorPlan, results map[string]probeResult) Diagnosis {
	for _, p := range plans {
		d, atFault, err := explainSelector(p, results)
		if err != nil {
			return Diagnosis{Reason: ReasonUnknown, Selector: p.selector, Message: fmt.Sprintf("kship could not ask Prometheus about %s: %v", p.selector, err)}
		}
		if atFault {
			return d
		}
	}
	return Diagnosis{Reason: ReasonOperators,
		Message: "every selector of the query selects series with samples; the query's operators (a comparison, absent(), vector matching) removed them all"}
}

// count reads a count() or max() probe: no series is 0.
func count(results map[string]probeResult, q string) (int, error) {
	r := results[q]
	if r.err != nil {
		return 0, r.err
	}
	if len(r.series) == 0 {
		return 0, nil
	}
	return int(r.series[0].Value), nil
}

func explainSelector(p selectorPlan, results map[string]probeResult) (Diagnosis, bool, error) {
	named := 0
	if p.nameQuery != "" {
		n, err := count(results, p.nameQuery)
		if err != nil || n == 0 {
			return Diagnosis{Reason: ReasonNoSeries, Selector: p.selector,
				Message: fmt.Sprintf("the metric %s has no series in Prometheus at all: check its name, and that the pods exposing it are scraped", p.name)}, true, err
		}
		named = n
	}
	full, err := count(results, p.fullQuery)
	if err != nil {
		return Diagnosis{}, false, err
	}
	if full == 0 {
		d, err := explainMatchers(p, named, results)
		return d, true, err
	}
	if p.rangeQuery == "" {
		return Diagnosis{}, false, nil
	}
	most, err := count(results, p.rangeQuery)
	if err != nil || most >= p.need {
		return Diagnosis{}, false, err
	}
	fn := "it"
	if p.fn != "" {
		fn = p.fn + "()"
	}
	return Diagnosis{Reason: ReasonTooFewSamples, Selector: p.selector,
		Message: fmt.Sprintf("%s selects series, but they have at most %d sample(s) in the [%s] range and %s needs %d: they were not scraped long enough yet (wait for more scrapes, or widen the range)", p.selector, most, p.rng, fn, p.need)}, true, nil
}

// explainMatchers names the matchers that empty a selector: those whose
// removal alone brings series back.
func explainMatchers(p selectorPlan, named int, results map[string]probeResult) (Diagnosis, error) {
	d := Diagnosis{Reason: ReasonMatchers, Selector: p.selector}
	var back []matcherProbe
	var counts []int
	for _, w := range p.without {
		n, err := count(results, w.query)
		if err != nil {
			return d, err
		}
		if n > 0 {
			back = append(back, w)
			counts = append(counts, n)
		}
	}
	has := ""
	if named > 0 {
		has = fmt.Sprintf("the metric %s has %d series, but ", p.name, named)
	}
	switch len(back) {
	case 0:
		for _, w := range p.without {
			d.Matchers = append(d.Matchers, w.matcher)
		}
		d.Message = fmt.Sprintf("%s%s selects none of them, and leaving out any one matcher (%s) still selects none: more than one is wrong", has, p.selector, strings.Join(d.Matchers, ", "))
		if len(d.Matchers) == 0 {
			d.Message = fmt.Sprintf("%s%s selects no series", has, p.selector)
		}
	case 1:
		d.Matchers = []string{back[0].matcher}
		d.Message = fmt.Sprintf("%sthe matcher %s selects none of the %d series of %s", has, back[0].matcher, counts[0], back[0].rest)
	default:
		for _, w := range back {
			d.Matchers = append(d.Matchers, w.matcher)
		}
		d.Message = fmt.Sprintf("%sno series has all of %s together (leaving out any one of them selects some): %s selects none", has, strings.Join(d.Matchers, ", "), p.selector)
	}
	return d, nil
}
