package validate

import "testing"

func TestRuleOf(t *testing.T) {
	for _, tc := range []struct{ format, msg, want string }{
		{"container %q has no readiness probe: it receives traffic before it is ready", "", "container … has no readiness probe: it receives traffic before it is ready"},
		{"unknown field %q", "", "unknown field …"},
		{"%d%% of %s", "", "…% of …"},
		{"%s", "apps/v1beta1 Deployment was removed in Kubernetes 1.16 (target 1.37): use apps/v1", "apps/v1beta1 Deployment was removed in Kubernetes 1.16 (target 1.37): use apps/v1"},
		{"%s: %s", "a: b", "a: b"},
	} {
		if got := ruleOf(tc.format, tc.msg); got != tc.want {
			t.Errorf("ruleOf(%q) = %q, want %q", tc.format, got, tc.want)
		}
	}
}

// TestRepeatedFindingsShareARule: the same problem in many objects is one
// rule, whatever the object and container are called.
func TestRepeatedFindingsShareARule(t *testing.T) {
	r := runOffline(t, testRelease(t.TempDir()), `apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: one, image: "x:1", resources: {requests: {cpu: 1m}}}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b}
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: two, image: "y:2", resources: {requests: {cpu: 1m}}}]}
`)
	rules := map[string]int{}
	for _, c := range r.Checks {
		if c.ID == IDHygiene && c.Status == Warn {
			rules[c.Rule]++
		}
	}
	if len(rules) == 0 {
		t.Fatal("no hygiene warnings")
	}
	for rule, n := range rules {
		if n != 2 || rule == "" {
			t.Errorf("rule %q found %d times, want 2", rule, n)
		}
	}
}
