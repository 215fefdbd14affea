package plan

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func liveObj(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestLiveDigestOf: status and the API server's bookkeeping do not change
// the digest; the object's content does; an absent object has none.
func TestLiveDigestOf(t *testing.T) {
	base := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, resourceVersion: "10", generation: 2, labels: {app: web}}
spec: {replicas: 2}
status: {readyReplicas: 1}
`
	want := LiveDigestOf(liveObj(t, base))
	if want == "" || LiveDigestOf(nil) != "" {
		t.Fatalf("digest %q, absent %q", want, LiveDigestOf(nil))
	}
	same := []string{
		`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, resourceVersion: "11", generation: 3, labels: {app: web}, managedFields: [{manager: x}]}
spec: {replicas: 2}
status: {readyReplicas: 2}
`,
	}
	for _, d := range same {
		if got := LiveDigestOf(liveObj(t, d)); got != want {
			t.Errorf("bookkeeping changed the digest:\n%s", d)
		}
	}
	differ := []string{
		`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, resourceVersion: "10", labels: {app: web}}
spec: {replicas: 3}
`,
		`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, resourceVersion: "10", labels: {app: web, tier: x}}
spec: {replicas: 2}
`,
	}
	for _, d := range differ {
		if got := LiveDigestOf(liveObj(t, d)); got == want {
			t.Errorf("a change of content kept the digest:\n%s", d)
		}
	}
}
