// Package gate evaluates metric gates on any Prometheus-compatible query
// API: an instant query, judged against absolute thresholds (min, max), a
// rise over the baseline measured just before the rollout (maxIncrease), an
// explicit no-data policy and a minimum number of evaluations with data.
//
// Every evaluation is a Measurement: the query, the evaluation time, the
// value, the threshold, the count of evaluations with data, the verdict and a
// sentence that explains it ("error-rate = 0.302 at 10:04:05Z > max 0.01:
// fail"). An unreachable Prometheus or a failing query is the verdict error,
// never a pass.
//
// How the rules combine:
//   - A query returning an empty vector, or only NaN values (0/0 when there
//     is no traffic), has no data; the gate's noData policy (fail, pass or
//     inconclusive; default fail) decides, and the message says so and
//     why, from Prometheus itself (see Diagnosis): the metric has no
//     series, a named matcher selects none, too few samples in the range,
//     a zero denominator.
//   - The textbook ratio sum(rate(errors[w])) / sum(rate(total[w])) whose
//     numerator has no series (no errors happened) while the denominator
//     has data is 0, not "no data", and the message says so. An empty
//     denominator is no data.
//   - A vector with several series passes only if every series passes; the
//     message names the series that failed. NaN series are ignored when
//     other series have values.
//   - minSamples: kship never passes a gate on fewer evaluations with data
//     than minSamples; until then a value within thresholds is inconclusive.
//     A breach fails at once whatever the count (a bad release is stopped on
//     its first bad sample). Too few samples are deliberately not sent to the
//     noData policy: with the default noData fail, that would fail every gate
//     with minSamples > 1 at its first evaluation.
//   - maxIncrease is the largest allowed rise over the baseline, as an
//     absolute difference (value - baseline). Without a baseline (not
//     measured, or no data before the rollout) that threshold is
//     inconclusive, and the message says why.
package gate

import (
	"context"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kship/kship/internal/config"
)

// Verdict is the outcome of one gate evaluation.
type Verdict string

// Verdicts.
const (
	Pass         Verdict = "pass"
	Fail         Verdict = "fail"
	Inconclusive Verdict = "inconclusive"
	// Error means the gate could not be evaluated (Prometheus unreachable, a
	// bad query, an unusable result type). It never counts as a pass.
	Error Verdict = "error"
)

// Querier runs an instant query at a time; NewPrometheus returns one for a
// Prometheus-compatible HTTP API.
type Querier interface {
	Query(ctx context.Context, query string, ts time.Time) (model.Value, error)
}

// Series is one series of a query result: its label set as PromQL prints it
// ("{code=\"500\"}", empty for a scalar or a series without labels) and its
// value.
type Series struct {
	Labels string  `json:"labels,omitempty"`
	Value  float64 `json:"value"`
}

// Measurement is one evaluation of a gate (or its baseline).
type Measurement struct {
	Gate string `json:"gate"`
	// Query is the query as sent: its template variables expanded.
	Query string    `json:"query"`
	Time  time.Time `json:"time"`
	// Window is the span of samples the evaluation read and how it lies
	// against the rollout; nil when the Evaluator has no RolloutDone
	// (the baseline, or an executor that does not place windows).
	Window *Window `json:"window,omitempty"`
	// Vars are the values the query's template variables had (set with
	// the Window).
	Vars *config.QueryVars `json:"vars,omitempty"`
	// Wait is how long the evaluation waited for its window and why; set
	// on a gate's first evaluation after Waits.
	Wait *Wait `json:"wait,omitempty"`
	// Value is the deciding value: the failing series', or the worst one
	// against the thresholds; nil when there was no data.
	Value *float64 `json:"value,omitempty"`
	// Series are all values returned, NaN excluded.
	Series []Series `json:"series,omitempty"`
	// Samples counts the evaluations with data seen so far, this one included.
	Samples   int    `json:"samples"`
	Threshold string `json:"threshold"`
	// Baseline is the pre-rollout value the gate's maxIncrease compares to.
	Baseline *float64 `json:"baseline,omitempty"`
	// IsBaseline marks the measurement taken before the rollout; its
	// Verdict is empty unless the query failed.
	IsBaseline bool    `json:"isBaseline,omitempty"`
	Verdict    Verdict `json:"verdict,omitempty"`
	Message    string  `json:"message"`
	// Diagnosis says why the query had no data, from Prometheus itself
	// (or why kship judged it as 0: only a ratio's numerator was empty).
	Diagnosis *Diagnosis `json:"diagnosis,omitempty"`
	// Warning is set on a baseline that already breaks min or max.
	Warning string `json:"warning,omitempty"`
}
