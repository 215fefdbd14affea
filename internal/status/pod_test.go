package status

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kship/kship/internal/manifest"
)

var web = manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}

// now is the fixed clock of the classifier tests.
var now = time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)

const podHead = `
apiVersion: v1
kind: Pod
metadata: {name: web-5d8f-abcde, namespace: shop, creationTimestamp: '2026-01-01T00:00:00Z'}
spec: {containers: [{name: app, image: web:v3}]}
`

func TestPodFailure(t *testing.T) {
	th := Thresholds{RestartThreshold: 2, Grace: 15 * time.Second}
	tests := []struct {
		name          string
		status        string
		deleting      bool
		wantReason    string // "" = no failure
		wantContainer string
		wantMsg       string // substring
		wantRecheck   time.Time
	}{
		{
			name: "running and ready",
			status: `
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
  containerStatuses: [{name: app, ready: true, restartCount: 0, state: {running: {}}}]`,
		},
		{
			name: "crash loop below threshold",
			status: `
status:
  phase: Running
  containerStatuses:
  - name: app
    restartCount: 1
    lastState: {terminated: {reason: Error, exitCode: 1}}
    state: {waiting: {reason: CrashLoopBackOff, message: back-off 10s}}`,
		},
		{
			name: "crash loop at threshold",
			status: `
status:
  phase: Running
  containerStatuses:
  - name: app
    restartCount: 2
    lastState: {terminated: {reason: Error, exitCode: 1}}
    state: {waiting: {reason: CrashLoopBackOff, message: back-off 10s restarting failed container}}`,
			wantReason: "CrashLoopBackOff", wantContainer: "app",
			wantMsg: "restarted 2 times; last exit: Error (exit code 1); back-off 10s restarting failed container",
		},
		{
			name: "crash loop of an init container",
			status: `
status:
  phase: Pending
  initContainerStatuses:
  - name: init-db
    restartCount: 3
    state: {waiting: {reason: CrashLoopBackOff}}`,
			wantReason: "CrashLoopBackOff", wantContainer: "init-db",
		},
		{
			name: "err image pull at once",
			status: `
status:
  phase: Pending
  containerStatuses:
  - {name: app, image: web:v3, restartCount: 0, state: {waiting: {reason: ErrImagePull, message: 'failed to pull and unpack image "web:v3": not found'}}}`,
			wantReason: "ErrImagePull", wantContainer: "app", wantMsg: "not found",
		},
		{
			name: "image pull back-off",
			status: `
status:
  phase: Pending
  containerStatuses:
  - {name: app, restartCount: 0, state: {waiting: {reason: ImagePullBackOff}}}`,
			wantReason: "ImagePullBackOff", wantMsg: "cannot be pulled",
		},
		{
			name: "invalid image name",
			status: `
status:
  containerStatuses:
  - {name: app, state: {waiting: {reason: InvalidImageName, message: 'bad name'}}}`,
			wantReason: "InvalidImageName",
		},
		{
			name: "create container config error",
			status: `
status:
  phase: Pending
  containerStatuses:
  - {name: app, state: {waiting: {reason: CreateContainerConfigError, message: 'secret "db" not found'}}}`,
			wantReason: "CreateContainerConfigError", wantMsg: `secret "db" not found`,
		},
		{
			name: "oom killed and restarted, running again",
			status: `
status:
  phase: Running
  containerStatuses:
  - name: app
    restartCount: 2
    lastState: {terminated: {reason: OOMKilled, exitCode: 137}}
    state: {running: {}}`,
			wantReason: "OOMKilled", wantMsg: "last exit: OOMKilled (exit code 137)",
		},
		{
			name: "oom killed in crash loop is reported as OOMKilled",
			status: `
status:
  phase: Running
  containerStatuses:
  - name: app
    restartCount: 3
    lastState: {terminated: {reason: OOMKilled, exitCode: 137}}
    state: {waiting: {reason: CrashLoopBackOff}}`,
			wantReason: "OOMKilled",
		},
		{
			name: "oom killed once, below threshold",
			status: `
status:
  containerStatuses:
  - {name: app, restartCount: 1, lastState: {terminated: {reason: OOMKilled, exitCode: 137}}, state: {running: {}}}`,
		},
		{
			name: "unschedulable within grace",
			status: `
status:
  phase: Pending
  conditions: [{type: PodScheduled, status: "False", reason: Unschedulable, lastTransitionTime: '2026-01-01T00:00:50Z', message: '0/3 nodes are available'}]`,
			wantRecheck: time.Date(2026, 1, 1, 0, 1, 6, 0, time.UTC), // +1s: the timestamp is to the second
		},
		{
			name: "unschedulable exactly the grace by a whole-second timestamp: not yet",
			status: `
status:
  phase: Pending
  conditions: [{type: PodScheduled, status: "False", reason: Unschedulable, lastTransitionTime: '2026-01-01T00:00:45Z'}]`,
			wantRecheck: time.Date(2026, 1, 1, 0, 1, 1, 0, time.UTC),
		},
		{
			name: "unschedulable beyond grace",
			status: `
status:
  phase: Pending
  conditions: [{type: PodScheduled, status: "False", reason: Unschedulable, lastTransitionTime: '2026-01-01T00:00:30Z', message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."}]`,
			wantReason: "Unschedulable", wantMsg: "unschedulable for 30s: 0/3 nodes are available: 3 node(s) didn't match",
		},
		{
			name:     "deleting pod is never a failure",
			deleting: true,
			status: `
status:
  containerStatuses:
  - {name: app, state: {waiting: {reason: ErrImagePull}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{}
			decode(t, podHead+tt.status, pod)
			if tt.deleting {
				pod.DeletionTimestamp = &pod.CreationTimestamp
			}
			v := PodFailure(web, pod, th, now)
			if !v.RecheckAt.Equal(tt.wantRecheck) {
				t.Errorf("RecheckAt = %v, want %v", v.RecheckAt, tt.wantRecheck)
			}
			if tt.wantReason == "" {
				if v.Failure != nil {
					t.Fatalf("unexpected failure: %s", v.Failure)
				}
				return
			}
			f := v.Failure
			if f == nil {
				t.Fatalf("no failure, want %s", tt.wantReason)
			}
			if f.Reason != tt.wantReason || f.Object != web || f.Pod != "web-5d8f-abcde" || !f.At.Equal(now) {
				t.Errorf("failure = %+v", f)
			}
			if tt.wantContainer != "" && f.Container != tt.wantContainer {
				t.Errorf("container = %q, want %q", f.Container, tt.wantContainer)
			}
			if !strings.Contains(f.Message, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", f.Message, tt.wantMsg)
			}
		})
	}
}

func TestFailureString(t *testing.T) {
	f := Failure{Object: web, Pod: "web-1", Container: "app", Reason: "CrashLoopBackOff", Message: "restarted 2 times"}
	want := "Deployment shop/web: pod web-1 container app: CrashLoopBackOff: restarted 2 times"
	if got := f.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestNotReadyHint(t *testing.T) {
	pod := &corev1.Pod{}
	decode(t, podHead+`
status:
  phase: Running
  conditions: [{type: Ready, status: "False", message: 'containers with unready status: [app]'}]
  containerStatuses: [{name: app, state: {running: {}}}]`, pod)
	if got := NotReadyHint(pod); got != "containers with unready status: [app]" {
		t.Errorf("hint = %q", got)
	}
}
