package status

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kship/kship/internal/manifest"
)

// ReplicaSetFailure classifies a ReplicaSet of the release object owner: a
// ReplicaFailure condition (pods cannot be created: quota, admission) that
// has lasted the grace is a failure.
func ReplicaSetFailure(owner manifest.Ref, rs *appsv1.ReplicaSet, th Thresholds, now time.Time) Verdict {
	for _, c := range rs.Status.Conditions {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
			return replicaFailure(owner, "ReplicaSet "+rs.Name, c.Reason, c.Message, c.LastTransitionTime.Time, th, now)
		}
	}
	return Verdict{}
}

// DeploymentFailure classifies a Deployment: Progressing=False with reason
// ProgressDeadlineExceeded (for the generation the controller observed) is a
// failure at once; a ReplicaFailure condition is one after the grace.
func DeploymentFailure(ref manifest.Ref, d *appsv1.Deployment, th Thresholds, now time.Time) Verdict {
	if d.Status.ObservedGeneration < d.Generation {
		return Verdict{}
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == ReasonProgressDeadlineExceeded {
			msg := c.Message
			if d.Spec.ProgressDeadlineSeconds != nil {
				msg = fmt.Sprintf("no progress for %ds: %s", *d.Spec.ProgressDeadlineSeconds, c.Message)
			}
			return Verdict{Failure: &Failure{Object: ref, Reason: ReasonProgressDeadlineExceeded, Message: msg, At: now}}
		}
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
			return replicaFailure(ref, "", c.Reason, c.Message, c.LastTransitionTime.Time, th, now)
		}
	}
	return Verdict{}
}

// replicaFailure is the shared rule of ReplicaFailure conditions: a
// failure once it has lasted the grace (it can be transient while old
// pods of a rolling update still hold the quota).
func replicaFailure(owner manifest.Ref, what, reason, message string, since time.Time, th Thresholds, now time.Time) Verdict {
	if since.IsZero() {
		since = now
	}
	if now.Sub(latest(since)) < th.Grace {
		return pending(latest(since), th.Grace)
	}
	if reason == "" {
		reason = ReasonFailedCreate
	}
	if what != "" {
		message = what + ": " + message
	}
	return Verdict{Failure: &Failure{Object: owner, Reason: reason, Message: message, At: now}}
}

// JobFailure classifies a Job: its Failed condition is a failure, named
// after the most recently failed pod among pods (the Job's pods) with that
// pod's container, termination reason, exit code and message.
func JobFailure(ref manifest.Ref, job *batchv1.Job, pods []*corev1.Pod, now time.Time) *Failure {
	var cond *batchv1.JobCondition
	for i, c := range job.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			cond = &job.Status.Conditions[i]
		}
	}
	if cond == nil {
		return nil
	}
	f := &Failure{Object: ref, Reason: firstNonEmpty(cond.Reason, ReasonJobFailed), Message: cond.Message, At: now}
	if pod, cs := lastFailedPod(pods); pod != nil {
		f.Pod = pod.Name
		if cs != nil {
			t := cs.State.Terminated
			f.Container = cs.Name
			f.Message = fmt.Sprintf("%s; the container exited: %s (exit code %d)", f.Message, firstNonEmpty(t.Reason, "terminated"), t.ExitCode)
			if t.Message != "" {
				f.Message += ": " + t.Message
			}
		}
	}
	return f
}

// lastFailedPod returns the failed pod that finished last and its first
// container that terminated with a non-zero exit code.
func lastFailedPod(pods []*corev1.Pod) (*corev1.Pod, *corev1.ContainerStatus) {
	var best *corev1.Pod
	var bestCS *corev1.ContainerStatus
	var bestAt time.Time
	for _, p := range pods {
		if p.Status.Phase != corev1.PodFailed {
			continue
		}
		var cs *corev1.ContainerStatus
		at := p.CreationTimestamp.Time
		for i, s := range p.Status.ContainerStatuses {
			if t := s.State.Terminated; t != nil && t.ExitCode != 0 {
				cs = &p.Status.ContainerStatuses[i]
				if t.FinishedAt.After(at) {
					at = t.FinishedAt.Time
				}
				break
			}
		}
		if best == nil || at.After(bestAt) {
			best, bestCS, bestAt = p, cs, at
		}
	}
	return best, bestCS
}

// ObjectFailure turns a kstatus Failed result of any release object into a
// Failure (a Deployment past its deadline, a CRD whose names clash, an
// object whose controller reports Stalled).
func ObjectFailure(ref manifest.Ref, r Result, now time.Time) *Failure {
	if r.Status != Failed {
		return nil
	}
	return &Failure{Object: ref, Reason: firstNonEmpty(r.Reason, "Failed"), Message: r.Message, At: now}
}
