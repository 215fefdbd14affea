package config

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// uncomment turns the commented-out YAML of a starter into YAML (the lines
// a user would uncomment), leaving prose comments as comments.
func uncomment(s string) string {
	yamlLine := regexp.MustCompile(`^(\s*)# ((\s*)(- )?[{a-zA-Z]+[:,].*|\s*- [{a-zA-Z].*|\s*#.*)$`)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if m := yamlLine.FindStringSubmatch(l); m != nil && !strings.Contains(l, "helm:") && !strings.Contains(l, "values:") && !strings.Contains(l, "set:") {
			lines[i] = m[1] + m[2]
		}
	}
	return strings.Join(lines, "\n")
}

func TestStarterQuotesNames(t *testing.T) {
	data, err := Starter{Name: "001", Namespace: "true", Path: "./deploy", SmokeURL: "http://x/", GateSelector: "a=\"b\""}.Render()
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	rel, err := Parse("kship.yaml", data, dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if rel.Metadata.Name != "001" || rel.Spec.Namespace != "true" {
		t.Errorf("name %q namespace %q", rel.Metadata.Name, rel.Spec.Namespace)
	}
}

func TestStarterLoads(t *testing.T) {
	dir, _ := filepath.Abs("testdata")
	starters := map[string]Starter{
		"folder": {Name: "web", Namespace: "shop", NamespaceFrom: "deploy/app.yaml:4", Path: "./deploy",
			SmokeURL: "http://web.shop.example/healthz", SmokeFrom: "Service shop/web", GateSelector: `namespace="shop",app="web"`, GateFrom: "Deployment shop/web"},
		"chart": {Name: "web", Namespace: "default", Chart: "./deploy", Values: []string{"deploy/app.yaml"},
			SmokeURL: "http://web.example/", SmokeFrom: "nothing", GateSelector: `namespace="default"`, GateFrom: "nothing"},
	}
	for name, s := range starters {
		t.Run(name, func(t *testing.T) {
			data, err := s.Render()
			if err != nil {
				t.Fatal(err)
			}
			rel, err := Parse("kship.yaml", data, dir)
			if err != nil {
				t.Fatalf("starter does not load: %v\n%s", err, data)
			}
			if rel.Metadata.Name != "web" || rel.Spec.Rollback.Method != RollbackAuto {
				t.Errorf("starter = %+v", rel)
			}
			full := uncomment(string(data))
			if !strings.Contains(full, "\n    smoke:") || !strings.Contains(full, "\n  migrations:") {
				t.Fatalf("uncommenting failed:\n%s", full)
			}
			rel, err = Parse("kship.yaml", []byte(full), dir)
			if err != nil {
				t.Fatalf("uncommented starter does not load: %v\n%s", err, full)
			}
			if len(rel.Spec.Verify.Smoke) != 1 || len(rel.Spec.Verify.Metrics.Gates) != 1 || len(rel.Spec.Migrations) != 1 {
				t.Errorf("uncommented starter = %+v", rel.Spec)
			}
		})
	}
}
