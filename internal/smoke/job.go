package smoke

import (
	"context"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/ptr"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
)

// Job check settings.
const (
	// LabelSmoke names the check on its Job and pod.
	LabelSmoke = "kship.dev/smoke"
	// jobTTL lets the cluster remove a Job kship could not delete.
	jobTTL = 600
	// logTailLines is how much of the log a result keeps.
	logTailLines = 20
	// containerName is the check's container.
	containerName = "smoke"
)

func (r *Runner) runJob(ctx context.Context, ns string, c config.SmokeCheck) Result {
	res := Result{Name: c.Name, Kind: KindJob, Expected: "exit code 0",
		Target: fmt.Sprintf("Job %s/kship-smoke-%s-* (image %s)", ns, c.Name, c.Job.Image)}
	if r.Typed == nil {
		res.Message = fmt.Sprintf("smoke check %q: no Kubernetes client to run its Job", c.Name)
		return res
	}
	timeout := DefaultJobTimeout
	if c.Timeout.Duration > 0 {
		timeout = c.Timeout.Duration
	}
	tries := r.retry(ctx, c, timeout, func(tctx context.Context, _ int) Try {
		t, logs := r.jobTry(ctx, tctx, ns, c, timeout)
		res.LogTail = logs
		return t
	})
	finish(&res, tries)
	return res
}

// jobTry creates the check's Job, waits for it under tctx (the per-try
// timeout), reads its exit code and log tail, and deletes it.
func (r *Runner) jobTry(ctx, tctx context.Context, ns string, c config.SmokeCheck, timeout time.Duration) (Try, string) {
	jobs := r.Typed.BatchV1().Jobs(ns)
	created, err := jobs.Create(tctx, smokeJob(ns, c), metav1.CreateOptions{FieldManager: kube.FieldManager})
	if err != nil {
		return Try{Got: fmt.Sprintf("no Job: create failed: %v", err)}, ""
	}
	defer r.deleteJob(ctx, created)
	t := Try{Job: created.Name}
	done, err := waitJob(tctx, r.Typed.BatchV1().RESTClient(), created)
	pod, exit, reason := r.jobPod(ctx, created)
	t.ExitCode = exit
	logs := r.logTail(ctx, ns, pod)
	switch {
	case err != nil && tctx.Err() != nil:
		t.Got = fmt.Sprintf("Job %s/%s did not finish within the per-try timeout of %s%s", ns, created.Name, timeout, podState(pod))
	case err != nil:
		t.Got = fmt.Sprintf("Job %s/%s did not finish: %v", ns, created.Name, err)
	default:
		t.Passed = jobSucceeded(done) && (exit == nil || *exit == 0)
		t.Got = describeJob(done, exit, reason)
	}
	return t, logs
}

// smokeJob is the Job of check c.
func smokeJob(ns string, c config.SmokeCheck) *batchv1.Job {
	labels := map[string]string{"app.kubernetes.io/managed-by": "kship", LabelSmoke: c.Name}
	for k, v := range c.Job.Labels {
		labels[k] = v
	}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "kship-smoke-" + c.Name + "-", Namespace: ns, Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr.To[int32](0),
			TTLSecondsAfterFinished: ptr.To[int32](jobTTL),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{
						Name: containerName, Image: c.Job.Image, Command: c.Job.Command, Args: c.Job.Args,
					}},
				},
			},
		},
	}
}

// waitJob watches the Job until it is Complete or Failed.
func waitJob(ctx context.Context, c cache.Getter, job *batchv1.Job) (*batchv1.Job, error) {
	lw := cache.NewFilteredListWatchFromClient(c, "jobs", job.Namespace, func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", job.Name).String()
	})
	ev, err := watchtools.UntilWithSync(ctx, lw, &batchv1.Job{}, nil, func(e watch.Event) (bool, error) {
		if e.Type == watch.Deleted {
			return false, fmt.Errorf("the Job was deleted")
		}
		j, ok := e.Object.(*batchv1.Job)
		return ok && (condition(j, batchv1.JobComplete) || condition(j, batchv1.JobFailed)), nil
	})
	if err != nil {
		return nil, err
	}
	return ev.Object.(*batchv1.Job), nil
}

func condition(j *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func jobSucceeded(j *batchv1.Job) bool { return j != nil && condition(j, batchv1.JobComplete) }

// jobPod finds the Job's (last) pod and its container's exit code.
func (r *Runner) jobPod(ctx context.Context, job *batchv1.Job) (*corev1.Pod, *int, string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	pods, err := r.Typed.CoreV1().Pods(job.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + job.Name})
	if err != nil || len(pods.Items) == 0 {
		return nil, nil, ""
	}
	pod := &pods.Items[len(pods.Items)-1]
	for _, cs := range pod.Status.ContainerStatuses {
		if term := cs.State.Terminated; cs.Name == containerName && term != nil {
			code := int(term.ExitCode)
			reason := term.Reason
			if term.Message != "" {
				reason = strings.TrimPrefix(reason+": "+term.Message, ": ")
			}
			return pod, &code, reason
		}
	}
	return pod, nil, ""
}

// podState says what a stuck pod is waiting for: " (pod p: ImagePullBackOff: ...)".
func podState(pod *corev1.Pod) string {
	if pod == nil {
		return " (no pod was created)"
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			return fmt.Sprintf(" (pod %s: %s: %s)", pod.Name, w.Reason, firstLine(w.Message))
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return fmt.Sprintf(" (pod %s: %s: %s)", pod.Name, c.Reason, firstLine(c.Message))
		}
	}
	return fmt.Sprintf(" (pod %s: %s)", pod.Name, pod.Status.Phase)
}

func describeJob(j *batchv1.Job, exit *int, reason string) string {
	state := "Failed"
	if jobSucceeded(j) {
		state = "Complete"
	}
	got := fmt.Sprintf("Job %s/%s %s", j.Namespace, j.Name, state)
	if exit != nil {
		got += fmt.Sprintf(", exit code %d", *exit)
	} else {
		got += ", exit code unknown (no terminated container status)"
	}
	if reason != "" {
		got += " (" + reason + ")"
	}
	return got
}

// logTail reads the last lines of the pod's log, or says why it could not.
func (r *Runner) logTail(ctx context.Context, ns string, pod *corev1.Pod) string {
	if pod == nil {
		return "logs unavailable: no pod found"
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	data, err := r.Typed.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{
		Container: containerName, TailLines: ptr.To[int64](logTailLines),
	}).DoRaw(ctx)
	if err != nil {
		return fmt.Sprintf("logs unavailable: %v", firstLine(err.Error()))
	}
	return string(data)
}

// deleteJob removes the Job and, in the background, its pods. It runs even
// when ctx was cancelled, so an interrupted check leaves nothing behind.
func (r *Runner) deleteJob(ctx context.Context, job *batchv1.Job) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = r.Typed.BatchV1().Jobs(job.Namespace).Delete(ctx, job.Name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
