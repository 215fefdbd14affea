package config

import (
	"errors"
	"testing"
)

func TestURLsNamingVariablesLoadAndExpandOneWay(t *testing.T) {
	doc := "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: web}\nspec:\n  namespace: shop\n  source: {path: .}\n  verify:\n" +
		"    smoke:\n      - {name: h, http: {url: \"http://${KSHIP_INGRESS}/healthz\", headers: {Host: web.shop}}}\n" +
		"    metrics:\n      prometheus: {address: \"${KSHIP_PROMETHEUS}\"}\n      gates: [{name: up, query: up, min: 1}]\n"
	rel, err := Parse("kship.yaml", []byte(doc), t.TempDir())
	if err != nil {
		t.Fatalf("a URL naming a variable is refused at load: %v", err)
	}
	fields := EnvFields(rel)
	if len(fields) != 2 || fields[0].Path != "spec.verify.smoke[0].http.url" || fields[1].Value != "${KSHIP_PROMETHEUS}" {
		t.Fatalf("fields %+v", fields)
	}
	if l := rel.Line(fields[0].Path); l != 9 {
		t.Errorf("line of the smoke url %d, want 9", l)
	}
	lookup := func(k string) (string, bool) {
		return map[string]string{"KSHIP_INGRESS": "127.0.0.1:8080"}[k], k == "KSHIP_INGRESS"
	}
	if got, err := ExpandEnv(fields[0].Value, lookup); err != nil || got != "http://127.0.0.1:8080/healthz" {
		t.Errorf("expanded %q, %v", got, err)
	}
	_, err = ExpandEnv(fields[1].Value, lookup)
	var ee *EnvError
	if !errors.As(err, &ee) || ee.Name != "KSHIP_PROMETHEUS" || err.Error() != "environment variable KSHIP_PROMETHEUS is not set: export it where kship runs, or write the value into the release file" {
		t.Errorf("unset variable: %v", err)
	}
}
