package validate

import "testing"

func TestHygiene(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"clean two replicas with a PDB", goodDeployment + `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
`, nil},
		{"two replicas without a PDB", goodDeployment, []string{
			`warn 6: Deployment shop/web: 2 replicas and no PodDisruptionBudget selects their pods`,
		}},
		{"PDB selecting other pods does not count", goodDeployment + `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: api}}
`, []string{`warn 6: Deployment shop/web: 2 replicas and no PodDisruptionBudget`}},
		{"everything wrong", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: "busybox:latest"}]
      containers:
      - name: web
        image: registry:5000/team/web
      - name: side
        image: nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000
        resources: {requests: {cpu: 10m}}
        readinessProbe: {tcpSocket: {port: 80}}
`, []string{
			`warn 4: Deployment shop/web: a single replica`,
			`warn 9: Deployment shop/web: init container "init": image "busybox:latest" uses :latest`,
			`warn 11: Deployment shop/web: container "web" has no readiness probe`,
			`warn 11: Deployment shop/web: container "web" has no resource requests`,
			`warn 12: Deployment shop/web: container "web": image "registry:5000/team/web" has no tag`,
		}},
		{"jobs need no readiness probe and have no replicas", `apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: "migrate:1", resources: {limits: {cpu: 1}}}]
`, nil},
		{"autoscaled workload has no single-replica warning", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "web:1", resources: {requests: {cpu: 1}}, readinessProbe: {tcpSocket: {port: 80}}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runOffline(t, testRelease(t.TempDir()), tc.doc)
			got := familyProblems(r, IDHygiene)
			assertProblems(t, got, tc.want)
			for _, c := range r.Checks {
				if c.ID == IDHygiene && c.Status == Fail {
					t.Errorf("hygiene must never fail: %s", c.Message)
				}
			}
		})
	}
}

// The summary counts workloads only: a bundle of one Deployment among
// config, a Service, an admission webhook and a StorageClass said "6
// workloads checked" before.
func TestHygieneCountsOnlyWorkloads(t *testing.T) {
	r := runOffline(t, testRelease(t.TempDir()), goodDeployment+`---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web}
data: {a: b}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: web}
webhooks: []
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: example.com/fast
`)
	var got []string
	for _, c := range r.Checks {
		if c.ID == IDHygiene {
			got = append(got, c.Message)
		}
	}
	if len(got) != 1 || got[0] != "1 workload checked for requests, readiness probes, image tags, replicas and disruption budgets" {
		t.Errorf("hygiene items %q: want one pass counting 1 workload", got)
	}
}

func TestImageTagProblem(t *testing.T) {
	for image, want := range map[string]string{
		"nginx":                 "has no tag (it means :latest)",
		"nginx:latest":          "uses :latest",
		"nginx:1.27":            "",
		"localhost:5000/nginx":  "has no tag (it means :latest)",
		"localhost:5000/web:v2": "",
		"web@sha256:abc":        "",
	} {
		if got := imageTagProblem(image); got != want {
			t.Errorf("imageTagProblem(%q) = %q, want %q", image, got, want)
		}
	}
}
