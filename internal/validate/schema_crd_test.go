package validate

import "testing"

const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
              color: {type: string, enum: [red, blue]}
              min: {type: integer, default: 1}
            x-kubernetes-validations:
            - rule: "self.size >= self.min"
              message: size must be at least min
  - name: v0
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
---
`

func TestSchemaCustomResources(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"valid", widgetCRD + `apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 3, color: red}
`, nil},
		{"unknown, invalid and missing fields", widgetCRD + `apiVersion: example.com/v1
kind: Widget
metadata: {name: w, labelz: {}}
spec:
  color: green
  shape: round
`, []string{
			`fail 34: Widget shop/w: unknown field "metadata.labelz"`,
			`fail 35: Widget shop/w: spec.size: Required value (CRD widgets.example.com)`,
			`fail 36: Widget shop/w: spec.color: Unsupported value: "green"`,
			`fail 37: Widget shop/w: unknown field "spec.shape" (not in the schema of CRD widgets.example.com)`,
		}},
		{"CEL rules see defaults", widgetCRD + `apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 3}
`, nil},
		{"CEL rule violated", widgetCRD + `apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 2, min: 5}
`, []string{`fail 35: Widget shop/w: spec: Invalid value: size must be at least min (CRD widgets.example.com)`}},
		{"unserved version", widgetCRD + `apiVersion: example.com/v0
kind: Widget
metadata: {name: w}
`, []string{`fail 32: Widget shop/w: version v0 of CRD widgets.example.com (in the bundle) is not served`}},
		{"unknown version", widgetCRD + `apiVersion: example.com/v2
kind: Widget
metadata: {name: w}
`, []string{`fail 32: Widget shop/w: CRD widgets.example.com (in the bundle) has no version v2 (it has v1, v0)`}},
		{"no CRD", `apiVersion: example.com/v1
kind: Gadget
metadata: {name: g}
`, []string{`fail 2: Gadget shop/g: no CRD for kind Gadget (example.com/v1, usually CRD gadgets.example.com) in the bundle or the CRDs given (offline, the cluster was not consulted): give it with --crds FILE_OR_FOLDER or spec.check.crds`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runOffline(t, testRelease(t.TempDir()), tc.doc)
			assertProblems(t, familyProblems(r, IDSchema), tc.want)
		})
	}
}
