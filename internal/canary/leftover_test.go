package canary_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/canary"
)

// TestIsLeftover: only the previous Deployment kship starts for a
// Deployment (its name, kship.dev/previous-of naming it, the track label
// previous in selector and template) is kship's to remove; a user's own
// Deployment of the same name is not, nor kship's previous of another one.
func TestIsLeftover(t *testing.T) {
	kships := `
metadata: {name: app-previous, annotations: {kship.dev/previous-of: app}}
spec:
  selector: {matchLabels: {app: app, kship.dev/track: previous}}
  template: {metadata: {labels: {app: app, kship.dev/track: previous}}}
`
	for _, tc := range []struct {
		name, yaml, of string
		want           bool
	}{
		{"kship's previous of app", kships, "app", true},
		{"kship's previous, asked for another Deployment", kships, "web", false},
		{"a user's own app-previous", `
metadata: {name: app-previous}
spec:
  selector: {matchLabels: {app: app-previous}}
  template: {metadata: {labels: {app: app-previous}}}
`, "app", false},
		{"a user's app-previous with kship's track label but no annotation", `
metadata: {name: app-previous}
spec:
  selector: {matchLabels: {app: app, kship.dev/track: previous}}
  template: {metadata: {labels: {app: app, kship.dev/track: previous}}}
`, "app", false},
		{"the annotation of another Deployment", `
metadata: {name: app-previous, annotations: {kship.dev/previous-of: web}}
spec:
  selector: {matchLabels: {app: app, kship.dev/track: previous}}
  template: {metadata: {labels: {app: app, kship.dev/track: previous}}}
`, "app", false},
		{"the annotation, not the track label", `
metadata: {name: app-previous, annotations: {kship.dev/previous-of: app}}
spec:
  selector: {matchLabels: {app: app}}
  template: {metadata: {labels: {app: app}}}
`, "app", false},
		{"another name", `
metadata: {name: app-old, annotations: {kship.dev/previous-of: app}}
spec:
  selector: {matchLabels: {app: app, kship.dev/track: previous}}
  template: {metadata: {labels: {app: app, kship.dev/track: previous}}}
`, "app", false},
		{"no selector", `
metadata: {name: app-previous, annotations: {kship.dev/previous-of: app}}
`, "app", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d appsv1.Deployment
			if err := yaml.Unmarshal([]byte(tc.yaml), &d); err != nil {
				t.Fatal(err)
			}
			if got := canary.IsLeftover(&d, tc.of); got != tc.want {
				t.Errorf("IsLeftover(%s, %q) = %v, want %v", d.Name, tc.of, got, tc.want)
			}
		})
	}
	if canary.IsLeftover(nil, "app") {
		t.Error("IsLeftover(nil) = true")
	}
}
