package status

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// decode parses inline YAML into v, failing the test on error.
func decode(t *testing.T, doc string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(doc), v); err != nil {
		t.Fatalf("decode test YAML: %v", err)
	}
}

// decodeUnstructured parses inline YAML into an object the way the API
// client does (integers stay int64).
func decodeUnstructured(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("decode test YAML: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("decode test object: %v", err)
	}
	return u
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name       string
		doc        string
		want       Status
		wantReason string
		wantMsg    string
	}{
		{
			name: "deployment available",
			doc: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, generation: 2}
spec: {replicas: 2, progressDeadlineSeconds: 600}
status:
  observedGeneration: 2
  replicas: 2
  updatedReplicas: 2
  readyReplicas: 2
  availableReplicas: 2
  conditions:
  - {type: Available, status: "True"}
  - {type: Progressing, status: "True", reason: NewReplicaSetAvailable}
`,
			want: Current,
		},
		{
			name: "deployment not yet observed",
			doc: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, generation: 3}
spec: {replicas: 2}
status: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2}
`,
			want: InProgress,
		},
		{
			name: "deployment rolling",
			doc: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, generation: 2}
spec: {replicas: 4}
status: {observedGeneration: 2, replicas: 4, updatedReplicas: 4, readyReplicas: 1, availableReplicas: 1}
`,
			want:    InProgress,
			wantMsg: "Available: 1/4",
		},
		{
			name: "deployment past deadline",
			doc: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, generation: 2}
spec: {replicas: 1, progressDeadlineSeconds: 5}
status:
  observedGeneration: 2
  conditions:
  - {type: Progressing, status: "False", reason: ProgressDeadlineExceeded, message: 'ReplicaSet "web-1" has timed out progressing.'}
`,
			want:       Failed,
			wantReason: "ProgressDeadlineExceeded",
			wantMsg:    `Progress deadline exceeded: ReplicaSet "web-1" has timed out progressing.`,
		},
		{
			name: "configmap",
			doc:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\ndata: {a: b}\n",
			want: Current,
		},
		{
			name: "being deleted",
			doc:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop, deletionTimestamp: '2026-01-01T00:00:00Z'}\n",
			want: Terminating,
		},
		{
			name: "job failed",
			doc: `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
status:
  startTime: '2026-01-01T00:00:00Z'
  failed: 1
  conditions: [{type: Failed, status: "True", reason: BackoffLimitExceeded}]
`,
			want:       Failed,
			wantReason: "JobFailed",
		},
		{
			name: "crd established",
			doc: `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
status: {conditions: [{type: Established, status: "True"}, {type: NamesAccepted, status: "True"}]}
`,
			want: Current,
		},
		{
			name: "crd installing",
			doc: `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
status: {conditions: [{type: Established, status: "False", reason: Installing}]}
`,
			want: InProgress,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := decodeUnstructured(t, tt.doc)
			got := Compute(u)
			if got.Status != tt.want {
				t.Fatalf("status = %s (%s), want %s", got.Status, got.Message, tt.want)
			}
			if tt.wantReason != "" && got.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", got.Reason, tt.wantReason)
			}
			if tt.wantMsg != "" && got.Message != tt.wantMsg {
				t.Errorf("message = %q, want %q", got.Message, tt.wantMsg)
			}
		})
	}
}

func TestComputeNil(t *testing.T) {
	if got := Compute(nil); got.Status != NotFound {
		t.Fatalf("Compute(nil) = %s, want NotFound", got.Status)
	}
}
