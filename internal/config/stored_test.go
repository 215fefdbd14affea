package config

import "testing"

// A stored release file of spec.mechanism helm keeps its Helm source: a
// rollback to that revision restores the Helm release it names, through
// the helm mechanism (on the old code the source became "." and the file
// no longer parsed, so the rollback fell back to kship's own apply).
func TestParseStoredKeepsTheHelmSource(t *testing.T) {
	data := []byte(`apiVersion: kship.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  namespace: shop
  mechanism: helm
  source:
    helm: {chart: /gone/chart, values: [/gone/v1.yaml], releaseName: shop-web, maxHistory: 4}
  verify: {rolloutTimeout: 90s}
`)
	rel, err := ParseStored("release file of revision 2", data)
	if err != nil {
		t.Fatal(err)
	}
	h := rel.Spec.Source.Helm
	if rel.Spec.Mechanism != MechanismHelm || h == nil || h.ReleaseName != "shop-web" || h.MaxHistory != 4 {
		t.Fatalf("stored helm release = mechanism %q, helm %+v", rel.Spec.Mechanism, h)
	}
	plain, err := ParseStored("release file of revision 1", []byte("apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: web}\nspec:\n  namespace: shop\n  source: {path: ./gone}\n"))
	if err != nil || plain.Spec.Source.Helm != nil || plain.Spec.Source.Path == "./gone" {
		t.Fatalf("stored plain release = %+v, %v", plain.Spec.Source, err)
	}
}
