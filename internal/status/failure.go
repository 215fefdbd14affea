package status

import (
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
)

// Reasons the detector reports that Kubernetes itself does not name.
const (
	// ReasonUnschedulable: a pod stayed unschedulable beyond the grace.
	ReasonUnschedulable = "Unschedulable"
	// ReasonFailedCreate: a controller could not create pods (quota,
	// admission) beyond the grace.
	ReasonFailedCreate = "FailedCreate"
	// ReasonProgressDeadlineExceeded: a Deployment's progress deadline passed.
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	// ReasonJobFailed: a Job reached its Failed condition.
	ReasonJobFailed = "JobFailed"
	// ReasonRolloutTimeout: the rollout timeout passed with objects not Current.
	ReasonRolloutTimeout = "RolloutTimeout"
)

// Failure is the failure detector's finding: the release cannot succeed,
// and why. Object is the release object the failing pod or ReplicaSet
// belongs to.
type Failure struct {
	Object    manifest.Ref `json:"object"`
	Pod       string       `json:"pod,omitempty"`
	Container string       `json:"container,omitempty"`
	Reason    string       `json:"reason"`
	Message   string       `json:"message,omitempty"`
	At        time.Time    `json:"at"`
}

// String names everything the failure knows, e.g.
// "Deployment shop/web: pod web-6d4f-x2x container app: CrashLoopBackOff: back-off 10s".
func (f Failure) String() string {
	if f.Object.Kind == "" {
		return f.Detail()
	}
	return f.Object.String() + ": " + f.Detail()
}

// Detail is the failure without its object: "pod web-6d4f-x2x container
// app: CrashLoopBackOff: back-off 10s".
func (f Failure) Detail() string {
	var b strings.Builder
	if f.Pod != "" {
		fmt.Fprintf(&b, "pod %s", f.Pod)
		if f.Container != "" {
			fmt.Fprintf(&b, " container %s", f.Container)
		}
		b.WriteString(": ")
	}
	b.WriteString(f.Reason)
	if f.Message != "" {
		fmt.Fprintf(&b, ": %s", f.Message)
	}
	return b.String()
}

// EventType is event.TypeFailure: a Failure is the payload of the
// detector's failure event.
func (Failure) EventType() event.Type { return event.TypeFailure }

// Key identifies a failure for de-duplication: the same pod, container and
// reason is one failure however often it is observed.
func (f Failure) Key() string {
	return f.Object.String() + "|" + f.Pod + "|" + f.Container + "|" + f.Reason
}

// Default detector settings, used when the release file leaves them unset.
const (
	DefaultRestartThreshold   = 2
	DefaultUnschedulableGrace = 15 * time.Second
)

// Thresholds tune the classifier.
type Thresholds struct {
	// RestartThreshold is the restart count at or above which a
	// crash-looping or OOM-killed container is a failure.
	RestartThreshold int32
	// Grace is how long a pod may stay unschedulable, or a controller may
	// fail to create pods, before that is a failure.
	Grace time.Duration
}

// ThresholdsFrom returns the thresholds of a release's detector settings,
// with defaults for unset values.
func ThresholdsFrom(d config.Detector) Thresholds {
	t := Thresholds{RestartThreshold: d.RestartThreshold, Grace: d.UnschedulableGrace.Duration}
	if t.RestartThreshold <= 0 {
		t.RestartThreshold = DefaultRestartThreshold
	}
	if t.Grace <= 0 {
		t.Grace = DefaultUnschedulableGrace
	}
	return t
}

// Verdict is a classifier's answer: a Failure, or none; and when the
// answer may change with time alone (a grace running out), the time to
// look again.
type Verdict struct {
	Failure *Failure
	// RecheckAt is non-zero when the object should be classified again at
	// that time even if it does not change.
	RecheckAt time.Time
}

// pending returns a verdict that asks to look again when the grace that
// started at since ends.
func pending(since time.Time, grace time.Duration) Verdict {
	return Verdict{RecheckAt: since.Add(grace)}
}

// latest returns the latest instant a condition timestamp may stand for:
// the API server stores them to the second, so a whole-second time may be
// up to a second earlier than the transition. Graces count from it, so a
// grace never ends early.
func latest(t time.Time) time.Time {
	if t.Nanosecond() == 0 {
		return t.Add(time.Second)
	}
	return t
}
