package status

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kship/kship/internal/manifest"
)

// EventTimes returns when an Event was first and last seen, from whichever
// of its time fields are set.
func EventTimes(ev *corev1.Event) (first, last time.Time) {
	first = ev.FirstTimestamp.Time
	if first.IsZero() {
		first = ev.EventTime.Time
	}
	if first.IsZero() {
		first = ev.CreationTimestamp.Time
	}
	last = ev.LastTimestamp.Time
	if ev.Series != nil && ev.Series.LastObservedTime.After(last) {
		last = ev.Series.LastObservedTime.Time
	}
	if last.Before(first) {
		last = first
	}
	return first, last
}

// EventCount returns how many times an Event occurred.
func EventCount(ev *corev1.Event) int32 {
	if ev.Series != nil && ev.Series.Count > ev.Count {
		return ev.Series.Count
	}
	if ev.Count < 1 {
		return 1
	}
	return ev.Count
}

// EventFailure classifies an Event about an object of the release object
// owner (pod is the pod's name when the Event is about a pod):
// FailedCreate that persisted for the grace (quota, admission);
// FailedScheduling for longer than the grace (the caller checks the pod is
// still unscheduled); BackOff pulling an image; BackOff restarting a
// container seen th.RestartThreshold times; Failed pulling an image.
func EventFailure(owner manifest.Ref, pod string, ev *corev1.Event, th Thresholds, now time.Time) Verdict {
	first, last := EventTimes(ev)
	msg := ev.Message
	fail := func(reason string) Verdict {
		return Verdict{Failure: &Failure{Object: owner, Pod: pod, Reason: reason, Message: msg, At: now}}
	}
	lower := strings.ToLower(msg)
	switch ev.Reason {
	case "FailedCreate":
		// Repeated FailedCreate events update lastTimestamp; a failure that
		// kept recurring for the grace is not transient.
		if last.Sub(first) >= th.Grace {
			return fail(ReasonFailedCreate)
		}
	case "FailedScheduling":
		if now.Sub(first) >= th.Grace {
			msg = fmt.Sprintf("unschedulable for %s: %s", now.Sub(first).Round(time.Second), ev.Message)
			return fail(ReasonUnschedulable)
		}
		return pending(first, th.Grace)
	case "BackOff":
		if strings.Contains(lower, "pulling image") {
			return fail("ImagePullBackOff")
		}
		if strings.Contains(lower, "restarting failed container") && EventCount(ev) >= th.RestartThreshold {
			return fail("CrashLoopBackOff")
		}
	case "Failed":
		if strings.Contains(lower, "pull image") || strings.Contains(lower, "errimagepull") {
			return fail("ErrImagePull")
		}
		if strings.Contains(lower, "createcontainerconfigerror") {
			return fail("CreateContainerConfigError")
		}
	}
	return Verdict{}
}
