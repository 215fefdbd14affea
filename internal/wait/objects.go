package wait

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/status"
)

// onObject records a release object's new state, emits its status
// transition and runs the kind's failure rules.
func (t *tracker) onObject(gk schema.GroupKind, u *unstructured.Unstructured, deleted bool) {
	ref := manifest.Ref{Group: gk.Group, Kind: gk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
	if !t.want[ref] {
		return
	}
	if deleted {
		t.objs[ref] = nil
		t.setResult(ref, status.Compute(nil))
		return
	}
	t.objs[ref] = u
	t.byUID[u.GetUID()] = ref
	res := status.Compute(u)
	if ref.Group == "batch" && ref.Kind == "Job" {
		res = jobCompletion(u, res)
	}
	t.setResult(ref, res)
	t.checkObject(ref, u, res)
}

// checkObject runs the failure rules of one release object and refreshes
// which pods are its new pods.
func (t *tracker) checkObject(ref manifest.Ref, u *unstructured.Unstructured, res status.Result) {
	now := t.w.now()
	switch ref.Group + "/" + ref.Kind {
	case "apps/Deployment":
		d := &appsv1.Deployment{}
		if fromUnstructured(u, d) != nil {
			return
		}
		t.syncNewReplicaSet(ref, d)
		t.verdict(status.DeploymentFailure(ref, d, t.th, now))
	case "batch/Job":
		job := &batchv1.Job{}
		if fromUnstructured(u, job) != nil {
			return
		}
		t.setOwner(ref, job.UID)
		t.fail(status.JobFailure(ref, job, t.podsOf(ref.Namespace, job.UID), now))
	case "/Pod":
		pod := &corev1.Pod{}
		if fromUnstructured(u, pod) == nil {
			t.checkPod(ref, pod)
		}
	case "apps/ReplicaSet", "apps/StatefulSet", "apps/DaemonSet":
		t.setOwner(ref, u.GetUID())
		t.fail(status.ObjectFailure(ref, res, now))
	default:
		t.fail(status.ObjectFailure(ref, res, now))
	}
}

// setResult stores a status and emits it when it changed.
func (t *tracker) setResult(ref manifest.Ref, res status.Result) {
	if old, ok := t.results[ref]; ok && old == res {
		return
	}
	t.results[ref] = res
	t.w.emit(event.Event{Type: event.TypeStatus, Object: ref.String(), Message: res.String(), Data: event.ObjectStatus{Ref: ref, Status: string(res.Status), Message: res.Message, Reason: res.Reason}})
}

// syncNewReplicaSet finds the Deployment's current ReplicaSet (the one
// whose pod template equals the Deployment's, as the controller decides)
// and makes its pods the ones the detector examines; pods of older
// ReplicaSets being scaled down are never examined.
func (t *tracker) syncNewReplicaSet(ref manifest.Ref, d *appsv1.Deployment) {
	nw := t.ns[ref.Namespace]
	if nw == nil || nw.replicaSets == nil {
		return
	}
	var current *appsv1.ReplicaSet
	items, _ := nw.replicaSets.GetIndexer().ByIndex(byOwner, string(d.UID))
	for _, it := range items {
		rs := it.(*appsv1.ReplicaSet)
		if equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) &&
			(current == nil || rs.CreationTimestamp.Before(&current.CreationTimestamp)) {
			current = rs
		}
	}
	old, had := t.newRS[ref]
	if current == nil || (had && old == current.UID) {
		return
	}
	delete(t.owners, old)
	t.newRS[ref] = current.UID
	t.setOwner(ref, current.UID)
}

// setOwner makes uid's pods new pods of ref and examines those already known.
func (t *tracker) setOwner(ref manifest.Ref, uid types.UID) {
	if _, ok := t.owners[uid]; ok {
		return
	}
	t.owners[uid] = owner{ref: ref, uid: uid}
	t.checkOwner(t.owners[uid])
}

// equalIgnoreHash compares two pod templates, ignoring the
// pod-template-hash label the Deployment controller adds to ReplicaSets.
func equalIgnoreHash(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return apiequality.Semantic.DeepEqual(a, b)
}

// isNewPod reports whether pod, controlled by o, belongs to the current
// revision of o's release object: a StatefulSet's update revision, a
// DaemonSet's current generation; every pod of a ReplicaSet or Job.
func (t *tracker) isNewPod(o owner, pod *corev1.Pod) bool {
	u := t.objs[o.ref]
	if u == nil {
		return true
	}
	switch o.ref.Kind {
	case "StatefulSet":
		rev, _, _ := unstructured.NestedString(u.Object, "status", "updateRevision")
		return rev == "" || pod.Labels[appsv1.StatefulSetRevisionLabel] == rev
	case "DaemonSet":
		gen, ok := pod.Labels["pod-template-generation"]
		return !ok || gen == strconv.FormatInt(u.GetGeneration(), 10)
	}
	return true
}

// markMissing sets NotFound for release objects the initial list did not
// return.
func (t *tracker) markMissing() {
	for _, r := range t.refs {
		if _, ok := t.results[r]; !ok {
			t.setResult(r, status.Compute(nil))
		}
	}
}

// allCurrent reports whether every release object is Current.
func (t *tracker) allCurrent() bool {
	for _, r := range t.refs {
		if t.results[r].Status != status.Current {
			return false
		}
	}
	return true
}

// statuses returns every object's status, in the order the refs were given.
func (t *tracker) statuses() []ObjectStatus {
	out := make([]ObjectStatus, 0, len(t.refs))
	for _, r := range t.refs {
		res, ok := t.results[r]
		if !ok {
			res = status.Result{Status: status.Unknown, Message: "not yet observed"}
		}
		out = append(out, ObjectStatus{Ref: r, Result: res})
	}
	return out
}

// timeoutError names every object not Current, with a hint from its new
// pods, and emits the decision.
func (t *tracker) timeoutError(timeout time.Duration) *TimeoutError {
	e := &TimeoutError{Timeout: timeout}
	for _, s := range t.statuses() {
		if s.Status == status.Current {
			continue
		}
		if hint := t.podHint(s.Ref); hint != "" {
			s.Message += "; " + hint
		}
		e.Pending = append(e.Pending, s)
	}
	f := status.Failure{Reason: status.ReasonRolloutTimeout, Message: e.Error(), At: t.w.now()}
	if len(e.Pending) > 0 {
		f.Object = e.Pending[0].Ref
	}
	t.w.emit(eventOf(f))
	return e
}

// podHint describes the first new pod of ref that is not Ready.
func (t *tracker) podHint(ref manifest.Ref) string {
	var names []string
	pods := map[string]*corev1.Pod{}
	for _, o := range t.owners {
		if o.ref != ref {
			continue
		}
		for _, p := range t.podsOf(ref.Namespace, o.uid) {
			if t.isNewPod(o, p) && !status.IsReady(p) {
				names = append(names, p.Name)
				pods[p.Name] = p
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return fmt.Sprintf("%d new %s not Ready, e.g. pod %s: %s", len(names), plural(len(names), "pod", "pods"), names[0], status.NotReadyHint(pods[names[0]]))
}

// jobCompletion makes a running Job InProgress: Current only when its
// Complete condition is True.
func jobCompletion(u *unstructured.Unstructured, res status.Result) status.Result {
	if res.Status != status.Current {
		return res
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Complete" && m["status"] == "True" {
			return res
		}
	}
	return status.Result{Status: status.InProgress, Reason: "JobRunning", Message: res.Message}
}

// fromUnstructured converts a cached object to its typed form.
func fromUnstructured(u *unstructured.Unstructured, into any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into)
}
