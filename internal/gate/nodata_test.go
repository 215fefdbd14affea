package gate

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
)

func mustParse(t *testing.T, q string) ratio {
	t.Helper()
	e, err := config.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := splitRatio(e)
	return r
}

func TestSplitRatio(t *testing.T) {
	tests := []struct {
		query         string
		ratio, zeroOK bool
		num, den      string
	}{
		{`sum(rate(errors[20s])) / sum(rate(total[20s]))`, true, true, `sum(rate(errors[20s]))`, `sum(rate(total[20s]))`},
		{`(sum(rate(errors[1m])) / sum(rate(total[1m])))`, true, true, `sum(rate(errors[1m]))`, `sum(rate(total[1m]))`},
		{`sum by (pod) (rate(e[1m])) / sum by (pod) (rate(t[1m]))`, true, true, `sum by (pod) (rate(e[1m]))`, `sum by (pod) (rate(t[1m]))`},
		{`count(up == 0) / count(up)`, true, true, `count(up == 0)`, `count(up)`},
		{`100 * sum(rate(e[1m])) / sum(rate(t[1m]))`, true, true, `100 * sum(rate(e[1m]))`, `sum(rate(t[1m]))`},
		{`sum(rate(e[1m])) / 60 / sum(rate(t[1m]))`, true, true, `sum(rate(e[1m])) / 60`, `sum(rate(t[1m]))`},
		// An average or a bare rate of nothing is not 0.
		{`avg(rate(e[1m])) / avg(rate(t[1m]))`, true, false, `avg(rate(e[1m]))`, `avg(rate(t[1m]))`},
		{`rate(e[1m]) / rate(t[1m])`, true, false, `rate(e[1m])`, `rate(t[1m])`},
		// Matching on some labels only: the zero would not know its labels.
		{`sum by (pod, code) (rate(e[1m])) / ignoring (code) group_left sum by (pod) (rate(t[1m]))`, true, false, "", ""},
		{`sum(rate(e[1m])) / on () sum(rate(t[1m]))`, true, false, "", ""},
		// Not a ratio of vectors.
		{`sum(rate(e[1m])) / 60`, false, false, "", ""},
		{`1 - sum(rate(e[1m])) / sum(rate(t[1m]))`, false, false, "", ""},
		{`sum(rate(e[1m])) > 0`, false, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			e, err := config.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			r, ok := splitRatio(e)
			if ok != tt.ratio || r.zeroable != tt.zeroOK {
				t.Fatalf("ratio %v zeroable %v, want %v %v", ok, r.zeroable, tt.ratio, tt.zeroOK)
			}
			if tt.num != "" && (r.num.String() != tt.num || r.den.String() != tt.den) {
				t.Errorf("num %q den %q, want %q %q", r.num, r.den, tt.num, tt.den)
			}
		})
	}
}

func TestExplainRatio(t *testing.T) {
	textbook := mustParse(t, `sum(rate(http_requests_total{code=~"5.."}[20s])) / sum(rate(http_requests_total[20s]))`)
	avg := mustParse(t, `avg(rate(e[1m])) / avg(rate(t[1m]))`)
	none := probeResult{}
	some := func(ss ...Series) probeResult { return probeResult{series: ss} }
	tests := []struct {
		name     string
		r        ratio
		num, den probeResult
		done     bool
		reason   Reason
		zero     []Series
		next     string // the side to look into when not done
		msg      string
	}{
		{"no errors: the ratio is 0", textbook, none, some(Series{Value: 12.5}), true, ReasonNumeratorEmpty, []Series{{Value: 0}}, "",
			`the numerator sum(rate(http_requests_total{code=~"5.."}[20s])) returned no series (nothing it counts happened, e.g. no errors) while the denominator has data, so the ratio is 0`},
		{"grouped: one zero per denominator series with traffic", textbook, none,
			some(Series{Labels: `{pod="a"}`, Value: 3}, Series{Labels: `{pod="b"}`, Value: 0}, Series{Labels: `{pod="c"}`, Value: 1}), true, ReasonNumeratorEmpty,
			[]Series{{Labels: `{pod="a"}`}, {Labels: `{pod="c"}`}}, "", "so the ratio is 0"},
		{"no denominator: look into it", textbook, none, none, false, "", nil, `sum(rate(http_requests_total[20s]))`, ""},
		{"no denominator even with errors", textbook, some(Series{Value: 1}), none, false, "", nil, `sum(rate(http_requests_total[20s]))`, ""},
		{"no traffic: 0/0", textbook, none, some(Series{Value: 0}), true, ReasonZeroDenominator, nil, "",
			"the denominator sum(rate(http_requests_total[20s])) is 0: nothing was counted in the window (no traffic?), and 0/0 is no data"},
		{"no traffic, NaN denominator", textbook, some(Series{Value: 0}), some(Series{Value: math.NaN()}), true, ReasonZeroDenominator, nil, "", "is 0"},
		{"both sides have data on different labels", textbook, some(Series{Labels: `{code="500"}`, Value: 1}), some(Series{Value: 10}), true, ReasonNoMatch, nil, "",
			`the numerator (series {code="500"}) and the denominator (series {}) both have data`},
		{"an empty average is not 0", avg, none, some(Series{Value: 1}), false, "", nil, `avg(rate(e[1m]))`, ""},
		{"a probe failed", textbook, probeResult{err: errors.New("timeout")}, none, true, ReasonUnknown, nil, "", "kship could not ask Prometheus why: timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := explainRatio(tt.r, tt.num, tt.den)
			if out.done != tt.done {
				t.Fatalf("done %v, want %v (%+v)", out.done, tt.done, out)
			}
			if !tt.done {
				if out.next.String() != tt.next {
					t.Errorf("next %s, want %s", out.next, tt.next)
				}
				return
			}
			if out.d.Reason != tt.reason || !strings.Contains(out.d.Message, tt.msg) || out.d.Zero != (tt.zero != nil) {
				t.Errorf("diagnosis %+v, want %s: %q", out.d, tt.reason, tt.msg)
			}
			if len(out.zero) != len(tt.zero) {
				t.Fatalf("zero %v, want %v", out.zero, tt.zero)
			}
			for i := range tt.zero {
				if out.zero[i] != tt.zero[i] {
					t.Errorf("zero[%d] %v, want %v", i, out.zero[i], tt.zero[i])
				}
			}
		})
	}
}

func TestPlanSelectors(t *testing.T) {
	e, err := config.ParseQuery(`sum(rate(http_requests_total{namespace="shop",code=~"5.."}[20s])) / sum(rate(http_requests_total{namespace="shop"}[20s])) + on() count(up{job="pods"} offset 1m) * 0`)
	if err != nil {
		t.Fatal(err)
	}
	plans := planSelectors(e)
	if len(plans) != 3 {
		t.Fatalf("%d plans, want 3: %+v", len(plans), plans)
	}
	p := plans[0]
	want := selectorPlan{
		selector: `http_requests_total{code=~"5..",namespace="shop"}[20s]`, name: "http_requests_total",
		nameQuery: `count(http_requests_total)`, fullQuery: `count(http_requests_total{code=~"5..",namespace="shop"})`,
		rangeQuery: `max(count_over_time(http_requests_total{code=~"5..",namespace="shop"}[20s]))`, rng: "20s", fn: "rate", need: 2,
	}
	if p.selector != want.selector || p.nameQuery != want.nameQuery || p.fullQuery != want.fullQuery || p.rangeQuery != want.rangeQuery || p.rng != want.rng || p.fn != want.fn || p.need != want.need {
		t.Errorf("plan\n %+v\nwant\n %+v", p, want)
	}
	wantWithout := []matcherProbe{
		{`namespace="shop"`, `http_requests_total{code=~"5.."}`, `count(http_requests_total{code=~"5.."})`},
		{`code=~"5.."`, `http_requests_total{namespace="shop"}`, `count(http_requests_total{namespace="shop"})`},
	}
	if len(p.without) != 2 || p.without[0] != wantWithout[0] || p.without[1] != wantWithout[1] {
		t.Errorf("without %+v, want %+v", p.without, wantWithout)
	}
	up := plans[2]
	if up.selector != `up{job="pods"} offset 1m` || up.nameQuery != `count(up offset 1m)` || up.rangeQuery != "" || len(up.without) != 1 || up.without[0].query != `count(up offset 1m)` {
		t.Errorf("instant selector with offset: %+v", up)
	}
	nameless, _ := config.ParseQuery(`sum(rate({job="pods"}[1m]))`)
	if p := planSelectors(nameless)[0]; p.nameQuery != "" || len(p.without) != 0 || p.fullQuery != `count({job="pods"})` {
		t.Errorf("selector without a metric name: %+v", p)
	}
}

func TestExplainSelectors(t *testing.T) {
	e, err := config.ParseQuery(`sum(rate(http_requests_total{namespace="shop",app="web"}[20s]))`)
	if err != nil {
		t.Fatal(err)
	}
	plans := planSelectors(e)
	const (
		name  = `count(http_requests_total)`
		full  = `count(http_requests_total{app="web",namespace="shop"})`
		noNS  = `count(http_requests_total{app="web"})`
		noApp = `count(http_requests_total{namespace="shop"})`
		rng   = `max(count_over_time(http_requests_total{app="web",namespace="shop"}[20s]))`
	)
	n := func(v float64) probeResult { return probeResult{series: []Series{{Value: v}}} }
	tests := []struct {
		name     string
		results  map[string]probeResult
		reason   Reason
		matchers []string
		msg      string
	}{
		{"no such metric", map[string]probeResult{}, ReasonNoSeries, nil,
			"the metric http_requests_total has no series in Prometheus at all: check its name, and that the pods exposing it are scraped"},
		{"one matcher empties it", map[string]probeResult{name: n(40), noNS: n(0), noApp: n(6)}, ReasonMatchers, []string{`app="web"`},
			`the metric http_requests_total has 40 series, but the matcher app="web" selects none of the 6 series of http_requests_total{namespace="shop"}`},
		{"one matcher empties the only series", map[string]probeResult{name: n(1), noApp: n(1)}, ReasonMatchers, []string{`app="web"`},
			`the matcher app="web" selects none of the 1 series of http_requests_total{namespace="shop"}`},
		{"matchers that only together select none", map[string]probeResult{name: n(40), noNS: n(2), noApp: n(6)}, ReasonMatchers, []string{`namespace="shop"`, `app="web"`},
			`no series has all of namespace="shop", app="web" together (leaving out any one of them selects some)`},
		{"more than one matcher wrong", map[string]probeResult{name: n(40)}, ReasonMatchers, []string{`namespace="shop"`, `app="web"`},
			`leaving out any one matcher (namespace="shop", app="web") still selects none: more than one is wrong`},
		{"not scraped long enough", map[string]probeResult{name: n(40), full: n(2), rng: n(1)}, ReasonTooFewSamples, nil,
			`selects series, but they have at most 1 sample(s) in the [20s] range and rate() needs 2: they were not scraped long enough yet`},
		{"no sample in the range", map[string]probeResult{name: n(40), full: n(2)}, ReasonTooFewSamples, nil, "at most 0 sample(s)"},
		{"all there: the operators removed it", map[string]probeResult{name: n(40), full: n(2), rng: n(20)}, ReasonOperators, nil,
			"every selector of the query selects series with samples"},
		{"a probe failed", map[string]probeResult{name: {err: errors.New("503")}}, ReasonUnknown, nil, "kship could not ask Prometheus about"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := explainSelectors(plans, tt.results)
			if d.Reason != tt.reason || !strings.Contains(d.Message, tt.msg) || strings.Join(d.Matchers, ",") != strings.Join(tt.matchers, ",") {
				t.Errorf("got %s %v: %s\nwant %s %v: %s", d.Reason, d.Matchers, d.Message, tt.reason, tt.matchers, tt.msg)
			}
		})
	}
	// The first selector at fault decides; a later one is not looked at.
	two, _ := config.ParseQuery(`sum(rate(a[1m])) + sum(rate(b[1m]))`)
	d := explainSelectors(planSelectors(two), map[string]probeResult{"count(a)": n(1), "count(b)": n(0),
		"max(count_over_time(a[1m]))": n(60)})
	if d.Reason != ReasonNoSeries || !strings.Contains(d.Message, "the metric b has no series") {
		t.Errorf("second selector at fault: %+v", d)
	}
}

func TestBaselineBreach(t *testing.T) {
	g := config.Gate{Name: "error-rate", Max: f(0.01)}
	tests := []struct {
		name     string
		gate     config.Gate
		baseline []Series
		msg      string // "" when there is no warning
	}{
		{"old errors over max", g, []Series{{Value: 0.3}},
			"error-rate: the baseline 0.3 measured before the rollout already breaks max 0.01: the current state fails this gate before the new revision is applied; use maxIncrease to judge the rise over the baseline instead, or fix the current state first"},
		{"within max", g, []Series{{Value: 0.001}}, ""},
		{"no baseline", g, nil, ""},
		{"NaN baseline", g, []Series{{Value: math.NaN()}}, ""},
		{"below min", config.Gate{Name: "rps", Min: f(5)}, []Series{{Value: 1}}, "rps: the baseline 1 measured before the rollout already breaks min 5"},
		{"one series of several", g, []Series{{Labels: `{pod="a"}`, Value: 0}, {Labels: `{pod="b"}`, Value: 0.5}},
			`error-rate{pod="b"}: the baseline 0.5 measured before the rollout already breaks max 0.01 (1 of 2 series)`},
		{"maxIncrease only: nothing to break", config.Gate{Name: "e", MaxIncrease: f(0.01)}, []Series{{Value: 0.9}}, ""},
		{"max and maxIncrease", config.Gate{Name: "e", Max: f(0.01), MaxIncrease: f(0.01)}, []Series{{Value: 0.9}},
			"maxIncrease judges the rise over it, but min and max will fail whatever the new revision does"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BaselineBreach(tt.gate, tt.baseline)
			if (tt.msg == "") != (got == "") || !strings.Contains(got, tt.msg) {
				t.Errorf("got %q, want %q", got, tt.msg)
			}
		})
	}
}
