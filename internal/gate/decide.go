package gate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
)

// Observation is what Judge decides on: one evaluation of a gate.
type Observation struct {
	At time.Time
	// Series are the values the query returned (NaN allowed); none = no data.
	Series []Series
	// Seen counts evaluations with data so far, this one included.
	Seen int
	// Baseline is what the query returned just before the rollout; nil
	// when no baseline was measured.
	Baseline []Series
	// Why explains an empty result (added to the no-data message).
	Why string
	// Note is said after a verdict on data (why the value is what it is).
	Note string
}

// Decision is Judge's result.
type Decision struct {
	Verdict   Verdict
	Message   string
	Value     *float64
	Baseline  *float64
	Threshold string
}

// Judge decides a gate's verdict for one observation (see the package
// documentation for the rules) and explains it in one sentence.
func Judge(g config.Gate, o Observation) Decision {
	d := Decision{Threshold: Threshold(g)}
	series := withData(o.Series)
	if len(series) == 0 {
		d.Verdict, d.Message = noData(g, o)
		return d
	}
	var fails, incs, passes []judged
	for _, s := range series {
		j := judgeSeries(g, s, baselineFor(s.Labels, o.Baseline))
		switch j.verdict {
		case Fail:
			fails = append(fails, j)
		case Inconclusive:
			incs = append(incs, j)
		default:
			passes = append(passes, j)
		}
	}
	decisive := pickDecisive(g, fails, incs, passes)
	d.Value, d.Baseline = &decisive.series.Value, decisive.baseline
	d.Verdict = decisive.verdict
	if d.Verdict == Pass && o.Seen < g.MinSamples {
		d.Verdict = Inconclusive
		decisive.oks = append(decisive.oks, fmt.Sprintf("but only %d of minSamples %d evaluations with data so far", o.Seen, g.MinSamples))
	}
	d.Message = describe(g, o.At, len(series), len(fails), decisive, d.Verdict)
	if o.Note != "" {
		d.Message += "; " + o.Note
	}
	return d
}

// judged is one series' verdict and the reasons for it.
type judged struct {
	series   Series
	baseline *float64
	verdict  Verdict
	// fails are the breached thresholds, oks the others (and notes).
	fails, oks []string
}

// reasons are what the message says: the breaches of a failing series,
// everything else otherwise.
func (j judged) reasons() []string {
	if j.verdict == Fail {
		return j.fails
	}
	return j.oks
}

// judgeSeries checks one value against every threshold of g.
func judgeSeries(g config.Gate, s Series, base *float64) judged {
	j := judged{series: s, baseline: base, verdict: Pass}
	v := s.Value
	check := func(bad bool, failReason, passReason string) {
		if bad {
			j.verdict = Fail
			j.fails = append(j.fails, failReason)
		} else {
			j.oks = append(j.oks, passReason)
		}
	}
	if g.Min != nil {
		check(v < *g.Min, "< min "+num(*g.Min), ">= min "+num(*g.Min))
	}
	if g.Max != nil {
		check(v > *g.Max, "> max "+num(*g.Max), "<= max "+num(*g.Max))
	}
	if g.MaxIncrease != nil {
		j.increase(*g.MaxIncrease, check)
	}
	if len(j.oks)+len(j.fails) == 0 {
		j.oks = append(j.oks, "has data (no threshold set)")
	}
	return j
}

// increase checks the rise over the baseline.
func (j *judged) increase(limit float64, check func(bool, string, string)) {
	if j.baseline == nil {
		if j.verdict == Pass {
			j.verdict = Inconclusive
		}
		j.oks = append(j.oks, "but maxIncrease "+num(limit)+" cannot be judged: no baseline value was measured before the rollout")
		return
	}
	rise := j.series.Value - *j.baseline
	desc := fmt.Sprintf("rises %s over the baseline %s", signed(rise), num(*j.baseline))
	check(rise > limit, desc+" > maxIncrease "+num(limit), desc+" <= maxIncrease "+num(limit))
}

// pickDecisive chooses the series the message is about: the first failing
// one, else the first inconclusive one, else the worst passing one.
func pickDecisive(g config.Gate, fails, incs, passes []judged) judged {
	if len(fails) > 0 {
		return fails[0]
	}
	if len(incs) > 0 {
		return incs[0]
	}
	worst := passes[0]
	for _, p := range passes[1:] {
		if (g.Max != nil || g.MaxIncrease != nil || g.Min == nil) && p.series.Value > worst.series.Value {
			worst = p
		} else if g.Max == nil && g.MaxIncrease == nil && g.Min != nil && p.series.Value < worst.series.Value {
			worst = p
		}
	}
	return worst
}

// describe writes the sentence that explains a decision.
func describe(g config.Gate, at time.Time, n, failed int, j judged, v Verdict) string {
	subject := g.Name
	if j.series.Labels != "" {
		subject += j.series.Labels
	}
	reasons := j.reasons()
	sep := " "
	if r := reasons[0]; r[0] != '<' && r[0] != '>' && !strings.HasPrefix(r, "rises") {
		sep = ", "
	}
	head := fmt.Sprintf("%s = %s%s%s%s", subject, num(j.series.Value), atTime(at), sep, strings.Join(reasons, ", "))
	switch {
	case n == 1:
		return head + ": " + string(v)
	case failed > 0:
		return fmt.Sprintf("%d of %d series fail: %s: %s", failed, n, head, v)
	default:
		return fmt.Sprintf("all %d series judged, deciding one: %s: %s", n, head, v)
	}
}

// noData applies the gate's noData policy and says what no data meant.
func noData(g config.Gate, o Observation) (Verdict, string) {
	what := "returned no series"
	if len(o.Series) > 0 {
		what = fmt.Sprintf("returned %d series, all NaN", len(o.Series))
		if o.Why == "" {
			what += " (for example 0/0 without traffic)"
		}
	}
	if o.Why != "" {
		what += " (" + o.Why + ")"
	}
	policy := g.NoData
	if policy == "" {
		policy = config.NoDataFail
	}
	head := fmt.Sprintf("%s: no data%s: the query %s; noData: %s", g.Name, atTime(o.At), what, policy)
	switch policy {
	case config.NoDataPass:
		return Pass, head + " accepts that: pass"
	case config.NoDataInconclusive:
		return Inconclusive, head + " leaves the gate undecided: inconclusive"
	default:
		return Fail, head + " treats missing metrics as a failure: fail"
	}
}

// Threshold describes g's thresholds: "min 1, max 5, maxIncrease 0.05".
func Threshold(g config.Gate) string {
	var parts []string
	if g.Min != nil {
		parts = append(parts, "min "+num(*g.Min))
	}
	if g.Max != nil {
		parts = append(parts, "max "+num(*g.Max))
	}
	if g.MaxIncrease != nil {
		parts = append(parts, "maxIncrease "+num(*g.MaxIncrease))
	}
	if g.MinSamples > 1 {
		parts = append(parts, "minSamples "+strconv.Itoa(g.MinSamples))
	}
	if len(parts) == 0 {
		return "data present"
	}
	return strings.Join(parts, ", ")
}

func withData(series []Series) []Series {
	var out []Series
	for _, s := range series {
		if !math.IsNaN(s.Value) {
			out = append(out, s)
		}
	}
	return out
}

// baselineFor finds the baseline of a series: same labels, or the only
// baseline series when there is one.
func baselineFor(labels string, baseline []Series) *float64 {
	base := withData(baseline)
	for _, b := range base {
		if b.Labels == labels {
			return &b.Value
		}
	}
	if len(base) == 1 {
		return &base[0].Value
	}
	return nil
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func signed(v float64) string {
	if v >= 0 {
		return "+" + num(v)
	}
	return num(v)
}

func atTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " at " + t.UTC().Format("15:04:05Z")
}
