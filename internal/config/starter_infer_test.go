package config

import "testing"

func TestReleaseName(t *testing.T) {
	for dir, want := range map[string]string{
		"/src/Payments_API/deploy": "payments-api",
		"/src/shop/k8s/overlays":   "shop",
		"/deploy":                  "app",
		"/src/web":                 "web",
		"/examples/demo/v1":        "demo",
	} {
		if got := releaseName(dir); got != want {
			t.Errorf("releaseName(%q) = %q, want %q", dir, got, want)
		}
	}
}
