package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/validate"
)

// -n moving a release whose smoke checks and gates name its file's
// namespace literally warns at each of them; {{.Namespace}} follows -n.
func TestNamespaceOverrideWarnsWhereTheOldNamespaceIsNamed(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "kship.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: kship.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  namespace: shop
  source: {path: ./deploy}
  verify:
    smoke:
      - name: health
        http: {url: "http://127.0.0.1:8080/healthz", headers: {Host: web.shop}, expectStatus: 200}
      - name: direct
        http: {url: "http://web.shop.example/healthz"}
      - name: other
        http: {url: "http://web.shopping.example/healthz"}
    metrics:
      prometheus: {address: "http://127.0.0.1:9090"}
      gates:
        - name: literal
          query: 'sum(rate(http_requests_total{namespace="shop",code=~"5.."}[1m])) / sum(rate(http_requests_total{namespace="shop"}[1m]))'
          max: 0.01
        - name: templated
          query: 'sum(rate(http_requests_total{namespace="{{.Namespace}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{namespace="{{.Namespace}}"}[1m]))'
          max: 0.01
`), 0o644); err != nil {
		t.Fatal(err)
	}
	rel, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	var same validate.Report
	addNamespaceOverrideChecks(&same, rel, "shop", "kship.yaml")
	if len(same.Checks) != 0 {
		t.Errorf("no -n: %d findings", len(same.Checks))
	}
	rel.Spec.Namespace = "shop-staging"
	var r validate.Report
	addNamespaceOverrideChecks(&r, rel, "shop", "kship.yaml")
	var got []string
	for _, c := range r.Checks {
		if c.Status != validate.Warn || !strings.Contains(c.Message, "names namespace shop, but -n releases into shop-staging") {
			t.Errorf("finding %s %q", c.Status, c.Message)
		}
		got = append(got, c.Message[:strings.Index(c.Message, " names")])
		if c.Source.File != "kship.yaml" || c.Source.Line == 0 {
			t.Errorf("finding %q at %+v: want its line in kship.yaml", c.Message, c.Source)
		}
	}
	want := []string{
		`smoke check "health": header Host "web.shop"`,
		`smoke check "direct": url "http://web.shop.example/healthz"`,
		`gate literal: query "sum(rate(http_requests_total{namespace=\"shop\",code=~\"5..\"}[1m])) / sum(rate(http_requests_total{namespace=\"shop\"}[1m]))"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
