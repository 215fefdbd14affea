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
	r.summarize(IDGuardrail, start, "rollback method %s; %s and %s verify the release", method,
		plural(smoke, "smoke check"), plural(gates, "metric gate"))
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
