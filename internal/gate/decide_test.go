package gate

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
)

func f(v float64) *float64 { return &v }

func TestJudge(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 4, 5, 0, time.UTC)
	nan := math.NaN()
	errRate := config.Gate{Name: "error-rate", Query: "q", Max: f(0.01)}
	tests := []struct {
		name    string
		gate    config.Gate
		obs     Observation
		verdict Verdict
		msg     string // the whole message, or a part of it
		value   *float64
	}{
		{"breach of max", errRate, Observation{At: at, Series: []Series{{Value: 0.302}}, Seen: 1},
			Fail, "error-rate = 0.302 at 10:04:05Z > max 0.01: fail", f(0.302)},
		{"within max", errRate, Observation{At: at, Series: []Series{{Value: 0.002}}, Seen: 1},
			Pass, "error-rate = 0.002 at 10:04:05Z <= max 0.01: pass", f(0.002)},
		{"on the max is a pass", errRate, Observation{At: at, Series: []Series{{Value: 0.01}}, Seen: 1},
			Pass, "<= max 0.01: pass", f(0.01)},
		{"below min", config.Gate{Name: "rps", Min: f(1)}, Observation{At: at, Series: []Series{{Value: 0.5}}, Seen: 1},
			Fail, "rps = 0.5 at 10:04:05Z < min 1: fail", f(0.5)},
		{"min and max: only the breach is named", config.Gate{Name: "lat", Min: f(0), Max: f(0.5)},
			Observation{At: at, Series: []Series{{Value: 0.9}}, Seen: 1}, Fail, "lat = 0.9 at 10:04:05Z > max 0.5: fail", f(0.9)},
		{"empty vector, default policy fails", errRate, Observation{At: at, Seen: 0},
			Fail, "error-rate: no data at 10:04:05Z: the query returned no series; noData: fail treats missing metrics as a failure: fail", nil},
		{"empty vector, noData pass", withNoData(errRate, config.NoDataPass), Observation{At: at},
			Pass, "noData: pass accepts that: pass", nil},
		{"empty vector, noData inconclusive", withNoData(errRate, config.NoDataInconclusive), Observation{At: at},
			Inconclusive, "noData: inconclusive leaves the gate undecided", nil},
		{"NaN scalar is no data", errRate, Observation{At: at, Series: []Series{{Value: nan}}},
			Fail, "returned 1 series, all NaN", nil},
		{"NaN series ignored beside real ones", errRate, Observation{At: at, Series: []Series{{Labels: `{v="1"}`, Value: nan}, {Labels: `{v="2"}`, Value: 0.001}}, Seen: 1},
			Pass, `error-rate{v="2"} = 0.001`, f(0.001)},
		{"several series: the failing one is named", errRate, Observation{At: at, Seen: 1, Series: []Series{
			{Labels: `{pod="a"}`, Value: 0.001}, {Labels: `{pod="b"}`, Value: 0.3}, {Labels: `{pod="c"}`, Value: 0.002}}},
			Fail, `1 of 3 series fail: error-rate{pod="b"} = 0.3 at 10:04:05Z > max 0.01: fail`, f(0.3)},
		{"several series all pass: the worst is shown", errRate, Observation{At: at, Seen: 1, Series: []Series{
			{Labels: `{pod="a"}`, Value: 0.001}, {Labels: `{pod="b"}`, Value: 0.008}}},
			Pass, `all 2 series judged, deciding one: error-rate{pod="b"} = 0.008`, f(0.008)},
		{"too few samples: within thresholds is inconclusive", withMinSamples(errRate, 3), Observation{At: at, Series: []Series{{Value: 0.001}}, Seen: 2},
			Inconclusive, "but only 2 of minSamples 3 evaluations with data so far: inconclusive", f(0.001)},
		{"too few samples: a breach still fails", withMinSamples(errRate, 3), Observation{At: at, Series: []Series{{Value: 0.5}}, Seen: 1},
			Fail, "> max 0.01: fail", f(0.5)},
		{"enough samples pass", withMinSamples(errRate, 3), Observation{At: at, Series: []Series{{Value: 0.001}}, Seen: 3},
			Pass, "<= max 0.01: pass", f(0.001)},
		{"maxIncrease within", incr(0.05), Observation{At: at, Series: []Series{{Value: 0.03}}, Seen: 1, Baseline: []Series{{Value: 0.01}}},
			Pass, "p99 = 0.03 at 10:04:05Z rises +0.02 over the baseline 0.01 <= maxIncrease 0.05: pass", f(0.03)},
		{"maxIncrease breached", incr(0.05), Observation{At: at, Series: []Series{{Value: 0.2}}, Seen: 1, Baseline: []Series{{Value: 0.01}}},
			Fail, "rises +0.19 over the baseline 0.01 > maxIncrease 0.05: fail", f(0.2)},
		{"maxIncrease without baseline is inconclusive", incr(0.05), Observation{At: at, Series: []Series{{Value: 0.2}}, Seen: 1},
			Inconclusive, "but maxIncrease 0.05 cannot be judged: no baseline value was measured before the rollout: inconclusive", f(0.2)},
		{"maxIncrease with a NaN baseline is inconclusive", incr(0.05), Observation{At: at, Series: []Series{{Value: 0.2}}, Seen: 1, Baseline: []Series{{Value: nan}}},
			Inconclusive, "no baseline value", f(0.2)},
		{"max breach beats a missing baseline", config.Gate{Name: "e", Max: f(0.1), MaxIncrease: f(0.05)}, Observation{At: at, Series: []Series{{Value: 0.2}}, Seen: 1},
			Fail, "e = 0.2 at 10:04:05Z > max 0.1: fail", f(0.2)},
		{"baseline matched by labels", incr(0.05), Observation{At: at, Seen: 1,
			Series:   []Series{{Labels: `{route="/a"}`, Value: 0.1}, {Labels: `{route="/b"}`, Value: 0.1}},
			Baseline: []Series{{Labels: `{route="/a"}`, Value: 0.09}, {Labels: `{route="/b"}`, Value: 0.01}}},
			Fail, `1 of 2 series fail: p99{route="/b"} = 0.1 at 10:04:05Z rises +0.09 over the baseline 0.01 > maxIncrease 0.05: fail`, f(0.1)},
		{"no thresholds: data is enough", config.Gate{Name: "up"}, Observation{At: at, Series: []Series{{Value: 1}}, Seen: 1},
			Pass, "up = 1 at 10:04:05Z, has data (no threshold set): pass", f(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Judge(tt.gate, tt.obs)
			if d.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s (%s)", d.Verdict, tt.verdict, d.Message)
			}
			if !strings.Contains(d.Message, tt.msg) {
				t.Errorf("message %q\n does not contain %q", d.Message, tt.msg)
			}
			if (d.Value == nil) != (tt.value == nil) || (d.Value != nil && *d.Value != *tt.value) {
				t.Errorf("value %v, want %v", ptrStr(d.Value), ptrStr(tt.value))
			}
		})
	}
}

func TestDecide(t *testing.T) {
	g := config.Gate{Name: "error-rate", Max: f(0.01)}
	tests := []struct {
		samples  []float64
		baseline *float64
		gate     config.Gate
		want     Verdict
	}{
		{[]float64{0.3}, nil, g, Fail},
		{[]float64{0.001}, nil, g, Pass},
		{nil, nil, g, Fail},
		{[]float64{math.NaN()}, nil, withNoData(g, config.NoDataPass), Pass},
		{[]float64{0.001, 0.5}, nil, g, Fail},
		{[]float64{0.2}, f(0.1), incr(0.05), Fail},
		{[]float64{0.12}, f(0.1), incr(0.05), Pass},
		{[]float64{0.12}, nil, incr(0.05), Inconclusive},
		{[]float64{0.001}, nil, withMinSamples(g, 2), Inconclusive},
	}
	for _, tt := range tests {
		if got, msg := decide(tt.gate, tt.samples, tt.baseline); got != tt.want {
			t.Errorf("decide(%v, %v) = %s (%s), want %s", tt.samples, ptrStr(tt.baseline), got, msg, tt.want)
		}
	}
}

func TestThreshold(t *testing.T) {
	g := config.Gate{Min: f(1), Max: f(5), MaxIncrease: f(0.05), MinSamples: 3}
	if got := Threshold(g); got != "min 1, max 5, maxIncrease 0.05, minSamples 3" {
		t.Errorf("Threshold = %q", got)
	}
	if got := Threshold(config.Gate{}); got != "data present" {
		t.Errorf("Threshold of a bare gate = %q", got)
	}
}

func withNoData(g config.Gate, p string) config.Gate  { g.NoData = p; return g }
func withMinSamples(g config.Gate, n int) config.Gate { g.MinSamples = n; return g }
func incr(v float64) config.Gate                      { return config.Gate{Name: "p99", MaxIncrease: &v} }

func ptrStr(p *float64) string {
	if p == nil {
		return "nil"
	}
	return num(*p)
}

// decide judges one evaluation whose series values are samples against g,
// with the baseline value for maxIncrease (nil: none measured). It is Judge
// for callers without labels or times; the evaluation counts as the only one
// seen, so minSamples above 1 is inconclusive.
func decide(g config.Gate, samples []float64, baseline *float64) (Verdict, string) {
	o := Observation{}
	for _, v := range samples {
		o.Series = append(o.Series, Series{Value: v})
	}
	if len(withData(o.Series)) > 0 {
		o.Seen = 1
	}
	if baseline != nil {
		o.Baseline = []Series{{Value: *baseline}}
	}
	d := Judge(g, o)
	return d.Verdict, d.Message
}
