package canary

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
)

func TestCountIsClosestToTheWeight(t *testing.T) {
	tests := []struct{ stable, weight, want int }{
		{3, 25, 1}, // 1/4 = 25%
		{3, 50, 3}, // 3/6 = 50%
		{3, 1, 1},  // at least one canary pod
		{3, 99, 297},
		{1, 10, 1},
		{4, 20, 1},  // 1/5 = 20%
		{4, 30, 2},  // 2/6 = 33% is closer than 1/5 = 20%
		{10, 33, 5}, // 5/15 = 33%
		{2, 100, 2},
		{0, 50, 1}, // a stable of 0 counts as 1
	}
	for _, tt := range tests {
		if got := Count(tt.stable, tt.weight); got != tt.want {
			t.Errorf("Count(%d, %d) = %d (share %.2f), want %d", tt.stable, tt.weight, got, Share(tt.stable, got), tt.want)
		}
	}
}

func object(t *testing.T, y string) manifest.Object {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(y), &m); err != nil {
		t.Fatal(err)
	}
	return manifest.Object{Obj: &unstructured.Unstructured{Object: m}, Source: manifest.Location{File: "app.yaml", Line: 1}}
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web, kship.dev/track: stable}}
  template:
    metadata: {labels: {app: web, kship.dev/track: stable}}
    spec: {containers: [{name: web, image: web:v2}]}
`

func TestCanaryObjectHasItsOwnTrack(t *testing.T) {
	c, err := CanaryObject(object(t, deployment), 2)
	if err != nil {
		t.Fatal(err)
	}
	sel := stringMap(c.Obj, "spec", "selector", "matchLabels")
	tmpl := stringMap(c.Obj, "spec", "template", "metadata", "labels")
	if c.Obj.GetName() != "web-canary" || sel[TrackLabel] != TrackCanary || tmpl[TrackLabel] != TrackCanary || sel["app"] != "web" {
		t.Errorf("canary = %s %v %v", c.Obj.GetName(), sel, tmpl)
	}
	if replicasOf(c) != 2 || c.Obj.GetAnnotations()[CanaryOfAnnotation] != "web" {
		t.Errorf("replicas %d, annotations %v", replicasOf(c), c.Obj.GetAnnotations())
	}
	if selects(stringMap(object(t, deployment).Obj, "spec", "selector", "matchLabels"), tmpl) {
		t.Error("the stable selector selects the canary's pods")
	}
}

func TestCheckRefusesWhatWouldBreakACanary(t *testing.T) {
	untracked := strings.ReplaceAll(deployment, ", kship.dev/track: stable", "")
	service := "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web%s}}\n"
	pdb := "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: shop}\nspec: {maxUnavailable: 1, selector: {matchLabels: {app: web%s}}}\n"
	hpa := "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, maxReplicas: 5}\n"
	tests := []struct {
		name string
		objs []string
		want []string
	}{
		{"ready", []string{deployment, sprintf(service, ""), sprintf(pdb, ", kship.dev/track: stable")}, nil},
		{"no track label", []string{untracked}, []string{"Deployment shop/web: the stable and canary pods must have disjoint selectors: add kship.dev/track: stable to spec.selector.matchLabels and to spec.template.metadata.labels"}},
		{"service on one track", []string{deployment, sprintf(service, ", kship.dev/track: stable")}, []string{"Service shop/web: its selector has kship.dev/track: stable, so it would send no traffic to the canary"}},
		{"pdb over both", []string{deployment, sprintf(pdb, "")}, []string{"PodDisruptionBudget shop/web: its selector covers the stable and the canary pods", "add kship.dev/track: stable to spec.selector.matchLabels"}},
		{"hpa of stable is handled", []string{deployment, hpa}, nil},
		{"hpa of the canary", []string{deployment, strings.Replace(hpa, "name: web}", "name: web-canary}", 1)}, []string{"HorizontalPodAutoscaler shop/web: it scales Deployment web-canary, which kship creates and scales itself", "set spec.scaleTargetRef.name of HorizontalPodAutoscaler shop/web to web"}},
		{"two deployments", []string{deployment, strings.Replace(deployment, "name: web,", "name: api,", 1)}, []string{"exactly one Deployment", "Deployment shop/web, Deployment shop/api"}},
		{"none", []string{sprintf(service, "")}, []string{"this release has none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []manifest.Object
			for _, y := range tt.objs {
				objs = append(objs, object(t, y))
			}
			got := Check(context.Background(), nil, objs)
			var text []string
			for _, f := range got {
				text = append(text, f.Object.String()+": "+f.Message)
			}
			all := strings.Join(text, "\n")
			if len(tt.want) == 0 && len(got) > 0 {
				t.Fatalf("findings:\n%s", all)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("findings do not say %q:\n%s", w, all)
				}
			}
		})
	}
}

func sprintf(f, a string) string { return strings.Replace(f, "%s", a, 1) }
