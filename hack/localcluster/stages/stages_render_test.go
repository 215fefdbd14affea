package stages

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestEveryStageTemplateRenders(t *testing.T) {
	all := loadStages(t)
	for _, want := range []string{"node-initialize", "node-heartbeat-with-lease", "pod-create", "pod-ready",
		"pod-complete", "pod-fail", "pod-delete", "pod-crashloop-start", "pod-crashloop-exit",
		"pod-crashloop-restart", "pod-imagepull-error", "pod-imagepull-backoff", "pod-imagepull-retry", "pod-unready"} {
		if _, ok := all[want]; !ok {
			t.Errorf("stage %s missing", want)
		}
	}
	for name, s := range all {
		if s.Spec.Next.StatusTemplate == "" || name[:4] != "pod-" {
			continue
		}
		render(t, s, pod("other", running(0))) // selectors guarantee the label where a template reads it
	}
}

func TestPodStatusTemplates(t *testing.T) {
	all := loadStages(t)
	cases := []struct {
		stage string
		pod   *corev1.Pod
		check func(t *testing.T, st corev1.PodStatus)
	}{
		{"pod-create", pod("", corev1.PodStatus{}), func(t *testing.T, st corev1.PodStatus) {
			want(t, st.Phase == corev1.PodPending && st.PodIP == "127.10.0.7", "Pending with pod IP", st)
			want(t, st.ContainerStatuses[0].State.Waiting.Reason == "ContainerCreating", "ContainerCreating", st)
		}},
		{"pod-ready", pod("", corev1.PodStatus{Phase: corev1.PodPending}), func(t *testing.T, st corev1.PodStatus) {
			want(t, st.Phase == corev1.PodRunning && st.ContainerStatuses[0].Ready && ready(st) == "True", "Running and Ready", st)
		}},
		{"pod-complete", pod("", running(0)), func(t *testing.T, st corev1.PodStatus) {
			want(t, st.Phase == corev1.PodSucceeded && st.ContainerStatuses[0].State.Terminated.ExitCode == 0, "Succeeded, exit 0", st)
		}},
		{"pod-fail", pod("fail", running(0)), func(t *testing.T, st corev1.PodStatus) {
			want(t, st.Phase == corev1.PodFailed && st.ContainerStatuses[0].State.Terminated.ExitCode == 1, "Failed, exit 1", st)
		}},
		{"pod-crashloop-exit", pod("crashloop", running(2)), func(t *testing.T, st corev1.PodStatus) {
			c := st.ContainerStatuses[0]
			want(t, c.State.Waiting.Reason == "CrashLoopBackOff" && c.RestartCount == 3, "CrashLoopBackOff, restartCount 3", st)
			want(t, c.LastTerminationState.Terminated.Reason == "Error" && ready(st) == "False", "lastState Error, not Ready", st)
		}},
		{"pod-crashloop-exit", pod("oomkilled", running(0)), func(t *testing.T, st corev1.PodStatus) {
			term := st.ContainerStatuses[0].LastTerminationState.Terminated
			want(t, term.Reason == "OOMKilled" && term.ExitCode == 137, "lastState OOMKilled, exit 137", st)
		}},
		{"pod-crashloop-restart", pod("oomkilled", backoff(4)), func(t *testing.T, st corev1.PodStatus) {
			c := st.ContainerStatuses[0]
			want(t, c.State.Running != nil && c.RestartCount == 4, "running again, restartCount kept", st)
			want(t, c.LastTerminationState.Terminated.Reason == "OOMKilled", "lastState kept", st)
		}},
		{"pod-imagepull-error", pod("imagepullbackoff", corev1.PodStatus{Phase: corev1.PodPending}), func(t *testing.T, st corev1.PodStatus) {
			want(t, st.ContainerStatuses[0].State.Waiting.Reason == "ErrImagePull" && st.Phase == "", "ErrImagePull, phase untouched", st)
		}},
		{"pod-unready", pod("unready", corev1.PodStatus{Phase: corev1.PodPending}), func(t *testing.T, st corev1.PodStatus) {
			want(t, st.Phase == corev1.PodRunning && ready(st) == "False" && !st.ContainerStatuses[0].Ready, "Running, not Ready", st)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.stage+"/"+tc.pod.Labels[BehaviorLabel], func(t *testing.T) {
			tc.check(t, render(t, all[tc.stage], tc.pod))
		})
	}
}

func backoff(restarts int32) corev1.PodStatus {
	return corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "app", Image: "demo:1", RestartCount: restarts,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "OOMKilled", ExitCode: 137, StartedAt: metav1.Now(), FinishedAt: metav1.Now()}},
	}}}
}

// ready returns the status of the Ready condition.
func ready(st corev1.PodStatus) corev1.ConditionStatus {
	for _, c := range st.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status
		}
	}
	return ""
}

func want(t *testing.T, ok bool, what string, st corev1.PodStatus) {
	t.Helper()
	if !ok {
		t.Errorf("want %s; got %+v", what, st)
	}
}
