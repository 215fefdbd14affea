package validate

import (
	"fmt"
	"github.com/kship/kship/internal/config"
)

// checkGuardrails refuses a release without a known rollback and flags one
// that nothing can verify.
func (r *run) checkGuardrails() {
	start := len(r.report.Checks)
	rel := r.in.Release
	if rel == nil {
		r.add(IDGuardrail, Fail, nil, nil, "no release file was given", "no release file: no known rollback and no verification")
		return
	}
	r.evidence = "spec.rollback and spec.verify of the release file"
	defer func() { r.evidence = "" }()
	method := rel.Spec.Rollback.Method
	switch method {
	case config.RollbackAuto, config.RollbackManual:
	case "":
		r.fail(IDGuardrail, nil, keys("spec", "rollback", "method"), "no known rollback: spec.rollback.method is not set (use auto or manual)")
	default:
		r.fail(IDGuardrail, nil, keys("spec", "rollback", "method"), "no known rollback: spec.rollback.method %q is not a rollback kship knows (use auto or manual)", method)
	}
	smoke := len(rel.Spec.Verify.Smoke)
	gates := 0
	if rel.Spec.Verify.Metrics != nil {
		gates = len(rel.Spec.Verify.Metrics.Gates)
	}
	if smoke == 0 && gates == 0 {
		r.warn(IDGuardrail, nil, keys("spec", "verify"), "unverifiable: no smoke check and no metric gate, so deploy will end with exit 5, never 0: add spec.verify.smoke or spec.verify.metrics.gates")
	}
	r.checkGateWaits(rel)
	r.checkNamespaces()
	r.summarize(IDGuardrail, start, "rollback method %s; %s and %s verify the release; every object in a namespace the release owns or allows", method,
		plural(smoke, "smoke check"), plural(gates, "metric gate"))
}

// checkGateWaits refuses a gate whose verdict cannot come within the
// rollout's time budget: deploy judges a gate only once its window lies
// wholly after the rollout (lookback + 2 scrape intervals, the interval of
// the release file; Prometheus' targets may make it longer at deploy).
func (r *run) checkGateWaits(rel *config.Release) {
	if rel.Spec.Verify.Metrics == nil {
		return
	}
	budget := rel.Spec.Verify.RolloutTimeout.Duration
	if budget <= 0 {
		budget = config.DefaultRolloutTimeout
	}
	scrape := rel.Spec.Verify.Metrics.Prometheus.ScrapeInterval.Duration
	for i, g := range rel.Spec.Verify.Metrics.Gates {
		wait := g.Lookback.Total + 2*scrape
		if wait <= budget {
			continue
		}
		why := fmt.Sprintf("%s + 2 scrapes of %s", g.Lookback, scrape)
		if scrape == 0 {
			why = fmt.Sprintf("%s, plus 2 scrape intervals learned from Prometheus at deploy", g.Lookback)
		}
		r.fail(IDGuardrail, nil, keys("spec", "verify", "metrics", "gates").with("", i).with("query", 0),
			"gate %s cannot be judged within the rollout's time budget: its verdict waits for a window wholly after the rollout, %s (%s), longer than spec.verify.rolloutTimeout %s: shorten the query's range or offset, or raise rolloutTimeout",
			g.Name, wait, why, budget)
	}
}

// productionLabels are the namespace labels whose value production or prod
// marks a production namespace.
var productionLabels = []string{"environment", "env", "kship.dev/environment", "tier"}

// Production says why a namespace with these labels is production ("" when
// it is not): a rollback drill runs only outside production.
func Production(ns string, labels map[string]string) string {
	for _, k := range productionLabels {
		if v := labels[k]; v == "production" || v == "prod" {
			return fmt.Sprintf("namespace %s is labelled %s=%s", ns, k, v)
		}
	}
	if labels["kship.dev/production"] == "true" {
		return fmt.Sprintf("namespace %s is labelled kship.dev/production=true", ns)
	}
	return ""
}
