package status

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kship/kship/internal/manifest"
)

func TestReplicaSetFailure(t *testing.T) {
	tests := []struct {
		name        string
		doc         string
		grace       time.Duration
		wantReason  string
		wantRecheck bool
	}{
		{
			name:  "healthy",
			doc:   "metadata: {name: web-1}\nstatus: {replicas: 2}\n",
			grace: time.Second,
		},
		{
			name: "quota exceeded beyond grace",
			doc: `
metadata: {name: web-1}
status:
  conditions:
  - {type: ReplicaFailure, status: "True", reason: FailedCreate, lastTransitionTime: '2026-01-01T00:00:50Z', message: 'pods "web-1-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=0, limited: pods=0'}
`,
			grace:      5 * time.Second,
			wantReason: "FailedCreate",
		},
		{
			name: "quota exceeded within grace",
			doc: `
metadata: {name: web-1}
status:
  conditions:
  - {type: ReplicaFailure, status: "True", reason: FailedCreate, lastTransitionTime: '2026-01-01T00:00:58Z'}
`,
			grace:       5 * time.Second,
			wantRecheck: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := &appsv1.ReplicaSet{}
			decode(t, tt.doc, rs)
			v := ReplicaSetFailure(web, rs, Thresholds{RestartThreshold: 2, Grace: tt.grace}, now)
			if got := !v.RecheckAt.IsZero(); got != tt.wantRecheck {
				t.Errorf("recheck = %v, want %v", got, tt.wantRecheck)
			}
			if tt.wantReason == "" {
				if v.Failure != nil {
					t.Fatalf("unexpected failure %s", v.Failure)
				}
				return
			}
			if v.Failure == nil || v.Failure.Reason != tt.wantReason {
				t.Fatalf("failure = %+v, want reason %s", v.Failure, tt.wantReason)
			}
			if !strings.Contains(v.Failure.Message, "ReplicaSet web-1: pods") || !strings.Contains(v.Failure.Message, "exceeded quota") {
				t.Errorf("message = %q", v.Failure.Message)
			}
		})
	}
}

func TestDeploymentFailure(t *testing.T) {
	th := Thresholds{RestartThreshold: 2, Grace: 5 * time.Second}
	tests := []struct {
		name       string
		doc        string
		wantReason string
		wantMsg    string
	}{
		{
			name: "progress deadline exceeded",
			doc: `
metadata: {name: web, generation: 2}
spec: {progressDeadlineSeconds: 10}
status:
  observedGeneration: 2
  conditions:
  - {type: Progressing, status: "False", reason: ProgressDeadlineExceeded, message: 'ReplicaSet "web-1" has timed out progressing.'}
`,
			wantReason: "ProgressDeadlineExceeded",
			wantMsg:    `no progress for 10s: ReplicaSet "web-1" has timed out progressing.`,
		},
		{
			name: "deadline of a previous generation is not this rollout's",
			doc: `
metadata: {name: web, generation: 3}
status:
  observedGeneration: 2
  conditions:
  - {type: Progressing, status: "False", reason: ProgressDeadlineExceeded}
`,
		},
		{
			name: "replica failure",
			doc: `
metadata: {name: web, generation: 1}
status:
  observedGeneration: 1
  conditions:
  - {type: ReplicaFailure, status: "True", reason: FailedCreate, lastTransitionTime: '2026-01-01T00:00:00Z', message: 'admission webhook denied'}
`,
			wantReason: "FailedCreate",
			wantMsg:    "admission webhook denied",
		},
		{
			name: "progressing",
			doc: `
metadata: {name: web, generation: 1}
status:
  observedGeneration: 1
  conditions: [{type: Progressing, status: "True", reason: ReplicaSetUpdated}]
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &appsv1.Deployment{}
			decode(t, tt.doc, d)
			v := DeploymentFailure(web, d, th, now)
			if tt.wantReason == "" {
				if v.Failure != nil {
					t.Fatalf("unexpected failure %s", v.Failure)
				}
				return
			}
			if v.Failure == nil || v.Failure.Reason != tt.wantReason || v.Failure.Message != tt.wantMsg {
				t.Fatalf("failure = %+v, want %s %q", v.Failure, tt.wantReason, tt.wantMsg)
			}
		})
	}
}

func TestJobFailure(t *testing.T) {
	ref := manifest.Ref{Group: "batch", Kind: "Job", Namespace: "shop", Name: "migrate"}
	job := &batchv1.Job{}
	decode(t, `
metadata: {name: migrate}
status:
  failed: 2
  conditions:
  - {type: Failed, status: "True", reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}
`, job)
	var pods []*corev1.Pod
	for _, doc := range []string{`
metadata: {name: migrate-a, creationTimestamp: '2026-01-01T00:00:00Z'}
status:
  phase: Failed
  containerStatuses: [{name: db, state: {terminated: {reason: Error, exitCode: 1, finishedAt: '2026-01-01T00:00:05Z'}}}]`, `
metadata: {name: migrate-b, creationTimestamp: '2026-01-01T00:00:10Z'}
status:
  phase: Failed
  containerStatuses: [{name: db, state: {terminated: {reason: Error, exitCode: 3, message: relation exists, finishedAt: '2026-01-01T00:00:20Z'}}}]`, `
metadata: {name: migrate-c, creationTimestamp: '2026-01-01T00:00:30Z'}
status: {phase: Running}`} {
		p := &corev1.Pod{}
		decode(t, doc, p)
		pods = append(pods, p)
	}
	f := JobFailure(ref, job, pods, now)
	if f == nil {
		t.Fatal("no failure for a failed Job")
	}
	if f.Reason != "BackoffLimitExceeded" || f.Pod != "migrate-b" || f.Container != "db" {
		t.Errorf("failure = %+v", f)
	}
	want := "Job has reached the specified backoff limit; the container exited: Error (exit code 3): relation exists"
	if f.Message != want {
		t.Errorf("message = %q, want %q", f.Message, want)
	}

	running := &batchv1.Job{}
	decode(t, "metadata: {name: migrate}\nstatus: {active: 1}\n", running)
	if f := JobFailure(ref, running, pods, now); f != nil {
		t.Errorf("running Job reported as failed: %s", f)
	}
}

func TestThresholdsFromDefaults(t *testing.T) {
	var zero = ThresholdsFrom(configDetector(0, 0))
	if zero.RestartThreshold != 2 || zero.Grace != 15*time.Second {
		t.Errorf("defaults = %+v", zero)
	}
	set := ThresholdsFrom(configDetector(1, time.Second))
	if set.RestartThreshold != 1 || set.Grace != time.Second {
		t.Errorf("set = %+v", set)
	}
}
