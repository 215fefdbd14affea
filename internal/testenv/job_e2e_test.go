package testenv_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/testenv"
)

// job returns a one-pod Job whose pod carries podLabels.
func job(name string, podLabels map[string]string) *batchv1.Job {
	backoff := int32(0)
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.JobSpec{
			BackoffLimit: &backoff,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "migrate", Image: "registry.example/kship/migrate:1.0"}},
				},
			},
		},
	}
}

// jobCondition returns the status of the Job's condition typ ("" if absent).
func jobCondition(j *batchv1.Job, typ batchv1.JobConditionType) corev1.ConditionStatus {
	for _, c := range j.Status.Conditions {
		if c.Type == typ {
			return c.Status
		}
	}
	return ""
}

func TestJobs(t *testing.T) {
	env := testenv.Get(t)
	cs := env.Clientset(t)
	ns := testenv.Namespace(t, env, "e2e-job-")
	cases := []struct {
		name   string
		labels map[string]string
		want   batchv1.JobConditionType
		other  batchv1.JobConditionType
	}{
		{"succeeds", nil, batchv1.JobComplete, batchv1.JobFailed},
		{"fails", map[string]string{behaviorLabel: "fail"}, batchv1.JobFailed, batchv1.JobComplete},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			if _, err := cs.BatchV1().Jobs(ns).Create(t.Context(), job(tc.name, tc.labels), metav1.CreateOptions{}); err != nil {
				t.Fatalf("create Job %s/%s: %v", ns, tc.name, err)
			}
			eventually(t, 2*time.Minute, "Job "+tc.name+" "+string(tc.want), func(ctx context.Context) (bool, string) {
				j, err := cs.BatchV1().Jobs(ns).Get(ctx, tc.name, metav1.GetOptions{})
				if err != nil {
					return false, err.Error()
				}
				if jobCondition(j, tc.other) == corev1.ConditionTrue {
					t.Fatalf("Job %s: condition %s, want %s", tc.name, tc.other, tc.want)
				}
				return jobCondition(j, tc.want) == corev1.ConditionTrue, fmt.Sprintf("status %+v", j.Status)
			})
			t.Logf("Job %s: %s after %s", tc.name, tc.want, time.Since(start).Round(time.Millisecond))
			pods, err := cs.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "job-name=" + tc.name})
			if err != nil || len(pods.Items) != 1 {
				t.Fatalf("Job %s: pods %v (%v), want 1", tc.name, pods, err)
			}
			p := pods.Items[0]
			wantPhase, wantExit := corev1.PodSucceeded, int32(0)
			if tc.want == batchv1.JobFailed {
				wantPhase, wantExit = corev1.PodFailed, 1
			}
			if p.Status.Phase != wantPhase {
				t.Errorf("pod %s: phase %s, want %s", p.Name, p.Status.Phase, wantPhase)
			}
			if len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Terminated == nil ||
				p.Status.ContainerStatuses[0].State.Terminated.ExitCode != wantExit {
				t.Errorf("pod %s: container statuses %+v, want terminated with exit code %d", p.Name, p.Status.ContainerStatuses, wantExit)
			}
		})
	}
}
