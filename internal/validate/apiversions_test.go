package validate

import (
	"context"
	"testing"
)

const betaDeployment = `apiVersion: apps/v1beta1
kind: Deployment
metadata: {name: old}
spec:
  template:
    metadata: {labels: {app: old}}
    spec:
      containers: [{name: old, image: "nginx:1", unknownInRemovedVersion: 1}]
`

func TestAPIVersions(t *testing.T) {
	cases := []struct {
		name, version, doc string
		want               []string
	}{
		{"removed fails with replacement, and is not schema-checked", "1.30", betaDeployment,
			[]string{`fail 1: Deployment shop/old: apps/v1beta1 Deployment was removed in Kubernetes 1.16 (target 1.30): use apps/v1`}},
		{"deprecated warns", "1.24", `apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 3
`, []string{`warn 1: HorizontalPodAutoscaler shop/web: autoscaling/v2beta2 HorizontalPodAutoscaler is deprecated since Kubernetes 1.23 and removed in 1.26: use autoscaling/v2`}},
		{"before deprecation passes", "1.22", `apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 3
`, nil},
		{"default is the newest known", "", `apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: c}
`, []string{`fail 1: CronJob shop/c: batch/v1beta1 CronJob was removed in Kubernetes 1.25 (target 1.37): use batch/v1`}},
		{"ingress and pdb betas", "1.25", `apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: i}
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: p}
`, []string{
			`fail 1: Ingress shop/i: networking.k8s.io/v1beta1 Ingress was removed in Kubernetes 1.22 (target 1.25): use networking.k8s.io/v1`,
			`fail 5: PodDisruptionBudget shop/p: policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25 (target 1.25): use policy/v1`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rel := testRelease(t.TempDir())
			objs := decodeFile(t, rel.Dir, "bundle.yaml", tc.doc)
			r := Run(context.Background(), Input{Release: rel, Objects: objs, KubeVersion: tc.version})
			assertProblems(t, familyProblems(r, IDAPIVersion), tc.want)
			if len(tc.want) > 0 && tc.want[0][:4] == "fail" {
				assertProblems(t, familyProblems(r, IDSchema), nil)
			}
		})
	}
}

func TestParseKubeVersion(t *testing.T) {
	for in, want := range map[string]string{"1.37": "1.37", "v1.30.2": "1.30", "1.29+": "1.29", " 1.8 ": "1.8"} {
		v, err := parseKubeVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("parseKubeVersion(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, bad := range []string{"", "1", "x.y", "0.1"} {
		if _, err := parseKubeVersion(bad); err == nil {
			t.Errorf("parseKubeVersion(%q): no error", bad)
		}
	}
	if !mustVersion("1.22").atLeast(mustVersion("1.16")) || mustVersion("1.15").atLeast(mustVersion("1.16")) || mustVersion("1.37").atLeast(kubeVersion{}) {
		t.Error("atLeast is wrong")
	}
}

func TestBadKubeVersionIsReported(t *testing.T) {
	rel := testRelease(t.TempDir())
	r := Run(context.Background(), Input{Release: rel, KubeVersion: "one.two"})
	assertProblems(t, familyProblems(r, IDAPIVersion), []string{`fail 0: invalid Kubernetes version "one.two": write it like 1.37`})
}
