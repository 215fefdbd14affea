package validate

import "testing"

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
