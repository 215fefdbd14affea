package status

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kship/kship/internal/manifest"
)

// Waiting reasons of a container that mean its image cannot be had.
var imageReasons = map[string]bool{
	"ErrImagePull":        true,
	"ImagePullBackOff":    true,
	"InvalidImageName":    true,
	"ErrImageNeverPull":   true,
	"RegistryUnavailable": true,
}

// Waiting reasons of a container that mean the kubelet cannot create it.
var createReasons = map[string]bool{
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
}

// PodFailure classifies one pod of the release object owner. A pod being
// deleted is never a failure. Image pull and container creation errors
// fail at once; a crash loop or OOM kill fails once the container has
// restarted th.RestartThreshold times; an unschedulable pod fails after
// th.Grace (the verdict asks to look again when the grace ends).
func PodFailure(owner manifest.Ref, pod *corev1.Pod, th Thresholds, now time.Time) Verdict {
	if pod == nil || pod.DeletionTimestamp != nil {
		return Verdict{}
	}
	statuses := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, cs := range statuses {
		if f := containerFailure(cs, th); f != nil {
			f.Object, f.Pod, f.At = owner, pod.Name, now
			return Verdict{Failure: f}
		}
	}
	return unschedulable(owner, pod, th, now)
}

// containerFailure classifies one container status; the caller fills in
// the object, pod and time.
func containerFailure(cs corev1.ContainerStatus, th Thresholds) *Failure {
	w := cs.State.Waiting
	last := cs.LastTerminationState.Terminated
	switch {
	case w != nil && imageReasons[w.Reason]:
		return &Failure{Container: cs.Name, Reason: w.Reason, Message: firstNonEmpty(w.Message, "image "+cs.Image+" cannot be pulled")}
	case w != nil && createReasons[w.Reason]:
		return &Failure{Container: cs.Name, Reason: w.Reason, Message: w.Message}
	case last != nil && last.Reason == "OOMKilled" && cs.RestartCount >= th.RestartThreshold:
		return &Failure{Container: cs.Name, Reason: "OOMKilled", Message: restartMessage(cs, w)}
	case w != nil && w.Reason == "CrashLoopBackOff" && cs.RestartCount >= th.RestartThreshold:
		return &Failure{Container: cs.Name, Reason: "CrashLoopBackOff", Message: restartMessage(cs, w)}
	}
	return nil
}

// restartMessage says how often a container restarted, how it last ended
// and what the kubelet says now.
func restartMessage(cs corev1.ContainerStatus, w *corev1.ContainerStateWaiting) string {
	parts := []string{fmt.Sprintf("restarted %d %s", cs.RestartCount, plural(int(cs.RestartCount), "time", "times"))}
	if t := cs.LastTerminationState.Terminated; t != nil {
		last := fmt.Sprintf("last exit: %s (exit code %d)", firstNonEmpty(t.Reason, "terminated"), t.ExitCode)
		if t.Message != "" {
			last += ": " + t.Message
		}
		parts = append(parts, last)
	}
	if w != nil && w.Message != "" {
		parts = append(parts, w.Message)
	}
	return strings.Join(parts, "; ")
}

// unschedulable reports a pod whose PodScheduled condition has been False
// with reason Unschedulable for longer than the grace.
func unschedulable(owner manifest.Ref, pod *corev1.Pod, th Thresholds, now time.Time) Verdict {
	if pod.Spec.NodeName != "" {
		return Verdict{}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type != corev1.PodScheduled || c.Status != corev1.ConditionFalse || c.Reason != corev1.PodReasonUnschedulable {
			continue
		}
		since := c.LastTransitionTime.Time
		if since.IsZero() {
			since = pod.CreationTimestamp.Time
		}
		if now.Sub(latest(since)) < th.Grace {
			return pending(latest(since), th.Grace)
		}
		msg := fmt.Sprintf("unschedulable for %s: %s", now.Sub(since).Round(time.Second), c.Message)
		return Verdict{Failure: &Failure{Object: owner, Pod: pod.Name, Reason: ReasonUnschedulable, Message: msg, At: now}}
	}
	return Verdict{}
}

// NotReadyHint says in a few words why a pod is not Ready, for timeout
// messages: its Ready condition's message, or the waiting reason of its
// first waiting container, or its phase.
func NotReadyHint(pod *corev1.Pod) string {
	for _, cs := range pod.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
			return fmt.Sprintf("container %s waiting: %s", cs.Name, w.Reason)
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status != corev1.ConditionTrue && c.Message != "" {
			return c.Message
		}
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return "not scheduled: " + c.Message
		}
	}
	if pod.Status.Phase != "" {
		return "phase " + string(pod.Status.Phase)
	}
	return "not yet observed by a node"
}

// IsReady reports whether the pod's Ready condition is True.
func IsReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
