package validate

import (
	"context"
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
)

func TestProduction(t *testing.T) {
	cases := []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"environment": "production"}, "namespace shop is labelled environment=production"},
		{map[string]string{"env": "prod"}, "namespace shop is labelled env=prod"},
		{map[string]string{"kship.dev/environment": "prod"}, "namespace shop is labelled kship.dev/environment=prod"},
		{map[string]string{"tier": "production"}, "namespace shop is labelled tier=production"},
		{map[string]string{"kship.dev/production": "true"}, "namespace shop is labelled kship.dev/production=true"},
		{map[string]string{"environment": "staging", "kship.dev/production": "false"}, ""},
		{nil, ""},
	}
	for _, c := range cases {
		if got := Production("shop", c.labels); got != c.want {
			t.Errorf("Production(%v) = %q, want %q", c.labels, got, c.want)
		}
	}
}

// An object outside the release namespace (kube-system included) and a
// Namespace other than the release's are blocking, naming the object, the
// namespace and the line, unless spec.allowNamespaces lists it.
func TestGuardrailOtherNamespaces(t *testing.T) {
	dir := t.TempDir()
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: here}\n---\n" +
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sys, namespace: kube-system}\n---\n" +
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: elsewhere}\n---\n" +
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
	find := func(rel *config.Release) []string {
		var out []string
		for _, c := range Run(context.Background(), Input{Release: rel, Objects: decodeFile(t, dir, "b.yaml", doc)}).Checks {
			if c.ID == IDGuardrail && c.Status == Fail {
				out = append(out, c.Source.String()+" "+c.Message)
			}
		}
		return out
	}
	rel := testRelease(dir)
	got := strings.Join(find(rel), "\n")
	for _, want := range []string{"b.yaml:7 ConfigMap kube-system/sys: is in namespace kube-system (a namespace of Kubernetes itself), not the release namespace shop",
		"Namespace elsewhere: is the namespace elsewhere, not the release namespace shop"} {
		if !strings.Contains(got, want) {
			t.Errorf("findings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "ConfigMap shop/here") || strings.Contains(got, "Namespace shop") {
		t.Errorf("the release namespace's own objects are refused:\n%s", got)
	}
	rel.Spec.AllowNamespaces = []string{"kube-system", "elsewhere"}
	if got := find(rel); len(got) != 0 {
		t.Errorf("allowed namespaces still refused: %v", got)
	}
}
