package validate

import (
	"testing"
)

const goodDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources: {requests: {cpu: 100m, memory: 64Mi}}
        readinessProbe: {httpGet: {path: /, port: 80}}
`

func TestSchemaBuiltin(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"valid deployment", goodDeployment, nil},
		{"unknown field in pod spec", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containerz: []
      containers:
      - name: web
        image: nginx:1.27
        imagez: x
`, []string{
			`fail 9: Deployment shop/web: unknown field "spec.template.spec.containerz"`,
			`fail 13: Deployment shop/web: unknown field "spec.template.spec.containers[0].imagez"`,
		}},
		{"wrong types", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {tier: 3}
spec:
  replicas: "3"
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: "80"}]
        env: [{name: A, value: 1}]
        resources: {requests: {cpu: 100x}}
`, []string{
			`fail 5: Deployment shop/web: metadata.labels.tier: expected string, got integer`,
			`fail 7: Deployment shop/web: spec.replicas: expected integer, got string`,
			`fail 15: Deployment shop/web: spec.template.spec.containers[0].ports[0].containerPort: expected integer, got string`,
			`fail 16: Deployment shop/web: spec.template.spec.containers[0].env[0].value: expected string, got integer`,
			`fail 17: Deployment shop/web: spec.template.spec.containers[0].resources.requests.cpu: invalid value "100x"`,
		}},
		{"missing required fields", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - image: nginx:1.27
`, []string{
			`fail 4: Deployment shop/web: missing required field "spec.selector"`,
			`fail 9: Deployment shop/web: missing required field "spec.template.spec.containers[0].name"`,
		}},
		{"optional field without omitempty is not required", `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16"}]
`, nil},
		{"service and secret", `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: http, targetPort: http}]
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
data: {password: "not base64!"}
`, []string{
			`fail 5: Service shop/web: missing required field "spec.ports[0].port"`,
			`fail 10: Secret shop/creds: data.password: invalid base64 data`,
		}},
		{"status is not checked for required fields", `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {a: b}
binaryData: {x: aGk=}
immutable: true
`, nil},
		{"misspelt kind and unknown version of built-in kinds", `apiVersion: apps/v1
kind: Deploymnet
metadata: {name: a}
---
apiVersion: apps/v2
kind: Deployment
metadata: {name: b}
---
apiVersion: v1
kind: configmap
metadata: {name: c}
`, []string{
			`fail 2: Deploymnet shop/a: apps/v1 has no kind Deploymnet: did you mean Deployment?`,
			`fail 6: Deployment shop/b: apps/v2 has no kind Deployment: use apps/v1`,
			`fail 10: configmap shop/c: v1 has no kind configmap: did you mean ConfigMap?`,
		}},
		{"crd object itself", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}, additionalProperties: false}
          tags: {type: array, items: {type: string}}
    subresourcez: {}
`, []string{
			`fail 18: CustomResourceDefinition widgets.example.com: unknown field "spec.versions[0].subresourcez"`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runOffline(t, testRelease(t.TempDir()), tc.doc)
			assertProblems(t, familyProblems(r, IDSchema), tc.want)
		})
	}
}

func TestSchemaPassSummary(t *testing.T) {
	r := runOffline(t, testRelease(t.TempDir()), goodDeployment)
	for _, c := range r.Checks {
		if c.ID == IDSchema {
			if c.Status != Pass || c.Message != "1 object validated against built-in schemas, 0 custom resources against CRD schemas (CRDs from the bundle; offline, the cluster's CRDs were not consulted)" {
				t.Fatalf("schema item = %+v", c)
			}
			return
		}
	}
	t.Fatal("no schema item")
}

func TestUnknownVersionSuggestsOnlyServedVersions(t *testing.T) {
	r := runOffline(t, testRelease(t.TempDir()), "apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: b}\n")
	got := familyProblems(r, IDSchema)
	want := "fail 2: Deployment shop/b: apps/v2 has no kind Deployment: use apps/v1"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
