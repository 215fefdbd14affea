package plan

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(y), &m); err != nil {
		t.Fatalf("bad test yaml: %v", err)
	}
	return &unstructured.Unstructured{Object: m}
}

const deployV1 = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  resourceVersion: "12"
  generation: 3
  uid: abc
  creationTimestamp: "2026-01-01T00:00:00Z"
  managedFields: [{manager: kship}]
  annotations:
    deployment.kubernetes.io/revision: "3"
    kubectl.kubernetes.io/last-applied-configuration: "{}"
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: demo:v1
        ports: [{containerPort: 8080, protocol: TCP}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
      - name: sidecar
        image: proxy:1
status: {replicas: 2}
`

func TestDiff(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string
	}{
		{"identical apart from noise", func(s string) string {
			s = strings.Replace(s, `resourceVersion: "12"`, `resourceVersion: "13"`, 1)
			s = strings.Replace(s, "generation: 3", "generation: 4", 1)
			s = strings.Replace(s, `revision: "3"`, `revision: "4"`, 1)
			return strings.Replace(s, "status: {replicas: 2}", "status: {replicas: 1}", 1)
		}, nil},
		{"image by container name", func(s string) string {
			return strings.Replace(s, "demo:v1", "demo:v2", 1)
		}, []string{`spec.template.spec.containers[name=web].image: "demo:v1" → "demo:v2"`}},
		{"reordered containers are not a change", func(s string) string {
			s = strings.Replace(s, "      - name: sidecar\n        image: proxy:1\n", "", 1)
			return strings.Replace(s, "      containers:\n", "      containers:\n      - name: sidecar\n        image: proxy:1\n", 1)
		}, nil},
		{"env by name", func(s string) string {
			return strings.Replace(s, `{name: B, value: "2"}`, `{name: B, value: "3"}, {name: C, value: "4"}`, 1)
		}, []string{
			`spec.template.spec.containers[name=web].env[name=B].value: "2" → "3"`,
			`spec.template.spec.containers[name=web].env[name=C]: (none) → {"name":"C","value":"4"}`,
		}},
		{"port by containerPort", func(s string) string {
			return strings.Replace(s, "protocol: TCP", "protocol: UDP", 1)
		}, []string{`spec.template.spec.containers[name=web].ports[containerPort=8080].protocol: "TCP" → "UDP"`}},
		{"replicas and removed label", func(s string) string {
			s = strings.Replace(s, "replicas: 2\n", "replicas: 0\n", 1)
			return strings.Replace(s, "metadata: {labels: {app: web}}", "metadata: {}", 1)
		}, []string{`spec.replicas: 2 → 0`, `spec.template.metadata.labels: {"app":"web"} → (none)`}},
		{"annotation with dots in its name", func(s string) string {
			return strings.Replace(s, "  annotations:\n", "  annotations:\n    example.com/owner: team-a\n", 1)
		}, []string{`metadata.annotations: (none) → {"example.com/owner":"team-a"}`}},
		{"label with dots in its name", func(s string) string {
			return strings.Replace(s, "metadata: {labels: {app: web}}", `metadata: {labels: {app: web, "app.kubernetes.io/version": "2"}}`, 1)
		}, []string{`spec.template.metadata.labels["app.kubernetes.io/version"]: (none) → "2"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(obj(t, deployV1), obj(t, tt.edit(deployV1)))
			var gs []string
			for _, d := range got {
				gs = append(gs, d.String())
			}
			if strings.Join(gs, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(gs, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

const secretLive = `
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
type: Opaque
data:
  user: YWRtaW4=        # admin
  password: aHVudGVyMg== # hunter2
  old: eA==
`

func TestSecretDiffMasksValues(t *testing.T) {
	desired := obj(t, `
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop, labels: {tier: db}}
type: Opaque
data:
  user: YWRtaW4=
  password: czNjcjN0LXZhbHVl # s3cr3t-value
  token: dG9rZW4tdmFsdWU=    # token-value
`)
	got := Diff(obj(t, secretLive), desired)
	var gs []string
	for _, d := range got {
		gs = append(gs, d.String())
		for _, v := range []string{d.Old, d.New} {
			for _, secret := range []string{"hunter2", "aHVudGVyMg", "s3cr3t", "czNjcjN0", "token-value", "dG9rZW4t", "admin", "YWRtaW4"} {
				if strings.Contains(v, secret) {
					t.Errorf("diff %s leaks %q", d.Path, secret)
				}
			}
		}
	}
	want := []string{
		"data.old: (removed)",
		"data.password: (changed)",
		"data.token: (added)",
		"data.user: (unchanged)",
		`metadata.labels: (none) → {"tier":"db"}`,
	}
	if strings.Join(gs, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(gs, "\n"), strings.Join(want, "\n"))
	}
	if d := Diff(obj(t, secretLive), obj(t, secretLive)); len(d) != 0 {
		t.Errorf("unchanged Secret: diff %v, want none", d)
	}
}

func TestSecretStringDataComparedAsData(t *testing.T) {
	desired := obj(t, `
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
type: Opaque
stringData: {user: admin, password: hunter2, old: x}
`)
	if d := Diff(obj(t, secretLive), desired); len(d) != 0 {
		t.Errorf("stringData equal to live data: diff %v, want none", d)
	}
}

func TestScrub(t *testing.T) {
	s := obj(t, secretLive)
	vals := SecretValues(s)
	msg := Scrub(`Secret "db" is invalid: data[password]: "hunter2" and aHVudGVyMg== are bad`, vals)
	if strings.Contains(msg, "hunter2") || strings.Contains(msg, "aHVudGVyMg==") {
		t.Errorf("scrubbed message still holds the value: %s", msg)
	}
}
