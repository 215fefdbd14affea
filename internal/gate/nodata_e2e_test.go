package gate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/testenv"
)

// textbook is the textbook error ratio of the pods sel selects, for the
// answers whose code matches codes; no "or vector(0)". The demo app
// creates its code="500" series at start (it reports 0 errors, not
// nothing), as some apps do and most do not; it never answers 4xx, so
// codes 4.. is the numerator that has no series at all.
func textbook(sel, codes string) string {
	return fmt.Sprintf(`sum(rate(http_requests_total{%s,code=~%q}[20s])) / sum(rate(http_requests_total{%s}[20s]))`, sel, codes, sel)
}

// runningPods lists the pods of app name in ns and their pod-template-hash.
func runningPods(t *testing.T, cs kubernetes.Interface, ns, name string) ([]Pod, string) {
	t.Helper()
	list, err := cs.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		t.Fatal(err)
	}
	var pods []Pod
	hash := ""
	for _, p := range list.Items {
		pods = append(pods, Pod{Namespace: ns, Name: p.Name})
		hash = p.Labels["pod-template-hash"]
	}
	if len(pods) == 0 || hash == "" {
		t.Fatalf("no pods of %s/%s with a pod-template-hash: %d pods", ns, name, len(pods))
	}
	return pods, hash
}

func TestE2ETextbookRatioAndWhyNoData(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "gate-nodata-")
	demoApp(t, cs, ns, "good", "0")
	demoApp(t, cs, ns, "bad", "0.5")
	demoApp(t, cs, ns, "idle", "0")
	// No Service, no load: the idle app's counters stay at 0.
	if err := cs.CoreV1().Services(ns).Delete(t.Context(), "idle", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	q, err := NewPrometheus(env.Prometheus)
	if err != nil {
		t.Fatal(err)
	}
	e := &Evaluator{Q: q}
	good := fmt.Sprintf(`namespace=%q,app="good"`, ns)
	bad := fmt.Sprintf(`namespace=%q,app="bad"`, ns)
	// Wait until both denominators have a rate (two scrapes in the range),
	// and the bad app's errors are counted.
	untilData(t, e, config.Gate{Name: "traffic", Query: fmt.Sprintf(`sum(rate(http_requests_total{%s}[20s]))`, good), Min: f(0)}, 90*time.Second)
	untilData(t, e, config.Gate{Name: "errors", Query: fmt.Sprintf(`sum(rate(http_requests_total{%s,code="500"}[20s]))`, bad), Min: f(0)}, 90*time.Second)
	idle := fmt.Sprintf(`namespace=%q,app="idle"`, ns)
	untilData(t, e, config.Gate{Name: "idle", Query: fmt.Sprintf(`sum(rate(http_requests_total{%s}[20s]))`, idle), Min: f(0)}, 90*time.Second)

	gates := []config.Gate{
		{Name: "healthy", Query: textbook(good, "4.."), Max: f(0.05), NoData: config.NoDataFail},
		{Name: "broken", Query: textbook(bad, "5.."), Max: f(0.05), NoData: config.NoDataFail},
		{Name: "no-denominator", Query: textbook(fmt.Sprintf(`namespace=%q,app="nope"`, ns), "4.."), Max: f(0.05), NoData: config.NoDataFail},
		{Name: "no-metric", Query: `sum(rate(kship_no_such_metric_total{namespace="` + ns + `"}[20s]))`, Max: f(1), NoData: config.NoDataFail},
		{Name: "typo-matcher", Query: fmt.Sprintf(`sum(rate(http_requests_total{namespace=%q,app="good",code="200",version="v9"}[20s]))`, ns), Min: f(0), NoData: config.NoDataFail},
		{Name: "no-traffic", Query: textbook(idle, "5.."), Max: f(0.05), NoData: config.NoDataFail},
		// Scraped every second, a 500ms range never holds the 2 samples rate() needs.
		{Name: "short-range", Query: fmt.Sprintf(`sum(rate(http_requests_total{%s}[500ms]))`, good), Min: f(0), NoData: config.NoDataFail},
	}
	ms := e.Evaluate(t.Context(), gates, nil, nil)
	for _, m := range ms {
		t.Logf("%s: %s", m.Gate, m.Message)
	}
	healthy, broken, noDen, noMetric, typo, noTraffic, short := ms[0], ms[1], ms[2], ms[3], ms[4], ms[5], ms[6]

	// No errors: the numerator has no series, the ratio is 0, verified
	// (without kship's reading of the ratio this is "no data": fail).
	if healthy.Verdict != Pass || healthy.Value == nil || *healthy.Value != 0 || healthy.Diagnosis == nil || healthy.Diagnosis.Reason != ReasonNumeratorEmpty ||
		!strings.Contains(healthy.Message, "returned no series (nothing it counts happened, e.g. no errors) while the denominator has data, so the ratio is 0") {
		t.Errorf("healthy app with the textbook ratio: %s %v: %s", healthy.Verdict, healthy.Value, healthy.Message)
	}
	// The same query on an app answering 50% errors is a real ratio, and fails.
	if broken.Verdict != Fail || broken.Value == nil || *broken.Value < 0.3 || *broken.Value > 0.7 || broken.Diagnosis != nil {
		t.Errorf("broken app: %s %v: %s", broken.Verdict, broken.Value, broken.Message)
	}
	// An empty denominator is no data, and the matcher that empties it is named.
	if noDen.Verdict != Fail || noDen.Value != nil || noDen.Diagnosis == nil || noDen.Diagnosis.Reason != ReasonMatchers ||
		strings.Join(noDen.Diagnosis.Matchers, ",") != `app="nope"` || !strings.Contains(noDen.Message, "the denominator") {
		t.Errorf("no denominator: %s: %s (%+v)", noDen.Verdict, noDen.Message, noDen.Diagnosis)
	}
	if noMetric.Verdict != Fail || noMetric.Diagnosis == nil || noMetric.Diagnosis.Reason != ReasonNoSeries ||
		!strings.Contains(noMetric.Message, "the metric kship_no_such_metric_total has no series in Prometheus at all") {
		t.Errorf("no such metric: %s: %s", noMetric.Verdict, noMetric.Message)
	}
	if typo.Verdict != Fail || typo.Diagnosis == nil || typo.Diagnosis.Reason != ReasonMatchers || strings.Join(typo.Diagnosis.Matchers, ",") != `version="v9"` {
		t.Errorf("a matcher that selects nothing: %s: %s (%+v)", typo.Verdict, typo.Message, typo.Diagnosis)
	}
	if noTraffic.Verdict != Fail || noTraffic.Diagnosis == nil || noTraffic.Diagnosis.Reason != ReasonZeroDenominator ||
		!strings.Contains(noTraffic.Message, "returned 1 series, all NaN") {
		t.Errorf("no traffic: %s: %s (%+v)", noTraffic.Verdict, noTraffic.Message, noTraffic.Diagnosis)
	}
	if short.Verdict != Fail || short.Diagnosis == nil || short.Diagnosis.Reason != ReasonTooFewSamples || !strings.Contains(short.Message, "rate() needs 2") {
		t.Errorf("too short a range: %s: %s (%+v)", short.Verdict, short.Message, short.Diagnosis)
	}
	for _, m := range []Measurement{noDen, noMetric, typo, noTraffic, short} {
		if m.Diagnosis == nil || len(m.Diagnosis.Probes) == 0 {
			t.Errorf("%s: the probes sent are not recorded: %+v", m.Gate, m.Diagnosis)
		}
	}
}

func TestE2EScopedQueryAndScrapeInterval(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "gate-scoped-")
	demoApp(t, cs, ns, "web", "0")
	q, err := NewPrometheus(env.Prometheus)
	if err != nil {
		t.Fatal(err)
	}
	query := `sum(rate(http_requests_total{namespace="{{.Namespace}}",pod_template_hash=~"{{.PodTemplateHash}}"}[20s]))`
	lb, err := config.CheckQuery(query, config.QueryVars{Namespace: ns, Release: "web"})
	if err != nil {
		t.Fatal(err)
	}
	g := config.Gate{Name: "traffic", Query: query, Min: f(0.1), Lookback: lb}
	e := &Evaluator{Q: q}
	untilData(t, e, config.Gate{Name: "traffic", Query: fmt.Sprintf(`sum(rate(http_requests_total{namespace=%q}[20s]))`, ns), Min: f(0)}, 90*time.Second)
	pods, hash := runningPods(t, cs, ns, "web")

	// The template variables expand to the new pods' labels as Prometheus has them.
	e.Vars = config.QueryVars{Namespace: ns, Release: "web", Revision: 1, PodTemplateHashes: []string{hash}}
	m := e.Evaluate(t.Context(), []config.Gate{g}, nil, nil)[0]
	if m.Verdict != Pass || m.Value == nil || !strings.Contains(m.Query, `pod_template_hash=~"`+hash+`"`) || strings.Contains(m.Query, "{{") {
		t.Errorf("scoped to the pods' hash %s: %s %v: query %s: %s", hash, m.Verdict, m.Value, m.Query, m.Message)
	}
	// Another revision's hash selects none of these pods, and kship says which matcher.
	e.Vars.PodTemplateHashes = []string{"0000000000"}
	m = e.Evaluate(t.Context(), []config.Gate{g}, nil, nil)[0]
	if m.Verdict != Fail || m.Diagnosis == nil || strings.Join(m.Diagnosis.Matchers, ",") != `pod_template_hash=~"0000000000"` {
		t.Errorf("another revision's hash: %s: %s (%+v)", m.Verdict, m.Message, m.Diagnosis)
	}

	// The environment scrapes every pod each second; kship reads it from the targets API.
	si, err := LearnScrapeInterval(t.Context(), q.(TargetLister), pods, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", si.Message)
	if si.Interval.Duration != time.Second || si.Source != "targets" || si.Scraped != len(pods) {
		t.Errorf("scrape interval %+v, want 1s from the targets for %d pods", si, len(pods))
	}
	if _, err := LearnScrapeInterval(t.Context(), q.(TargetLister), []Pod{{Namespace: ns, Name: "no-such-pod"}}, 0); err == nil ||
		!strings.Contains(err.Error(), "no active Prometheus target scrapes the pods "+ns+"/no-such-pod") {
		t.Errorf("a pod nothing scrapes: %v", err)
	}
	// A longer override is used (never judge a window too early).
	if si, err := LearnScrapeInterval(t.Context(), q.(TargetLister), pods, 5*time.Second); err != nil || si.Interval.Duration != 5*time.Second {
		t.Errorf("override 5s: %+v, %v", si, err)
	}
	w := WaitFor(g, time.Now(), time.Now(), si.Interval.Duration)
	t.Logf("%s", w.Message)
}
