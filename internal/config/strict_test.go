package config

import (
	"strings"
	"testing"
)

type strictDoc struct {
	Kind string `json:"kind"`
	Spec struct {
		Rules []struct {
			Namespace string `json:"namespace"`
			Approval  string `json:"approval"`
		} `json:"rules"`
	} `json:"spec"`
}

// TestDecodeStrict: another kind of file gets the release file's strict
// reading: every mistake with its line, hints from its own fields.
func TestDecodeStrict(t *testing.T) {
	var d strictDoc
	lines, err := DecodeStrict("p.yaml", []byte("kind: P\nspec:\n  rules:\n    - namespace: shop\n      approvl: none\n"), &d)
	if err == nil || !strings.Contains(err.Error(), `p.yaml:5: unknown field "approvl" in spec.rules[0]; did you mean "approval"?`) {
		t.Fatalf("error %v", err)
	}
	if d.Spec.Rules[0].Namespace != "shop" || lines["spec.rules[0].namespace"] != 4 {
		t.Fatalf("decoded %+v, lines %v", d, lines)
	}
	_, err = DecodeStrict("p.yaml", []byte("kind: P\nnamespace: shop\n"), &d)
	if err == nil || !strings.Contains(err.Error(), "it belongs under spec.rules") {
		t.Fatalf("misplaced field: %v", err)
	}
	_, err = DecodeStrict("p.yaml", []byte("kind: [1]\n"), &d)
	if err == nil || !strings.Contains(err.Error(), "p.yaml:1:") {
		t.Fatalf("wrong type: %v", err)
	}
}
