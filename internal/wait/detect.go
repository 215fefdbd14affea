package wait

import (
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/status"
)

// eventSlack is how far before the start of a wait an Event may have last
// happened and still count: Event timestamps have second precision.
const eventSlack = 2 * time.Second

// onPod examines a pod if it is a new pod of a release object.
func (t *tracker) onPod(pod *corev1.Pod) {
	o, ok := t.owners[ownerUID(pod)]
	if !ok || !t.isNewPod(o, pod) {
		return
	}
	t.checkPod(o.ref, pod)
}

// onReplicaSet re-decides a Deployment's current ReplicaSet when one of
// its ReplicaSets changes, and examines the current one.
func (t *tracker) onReplicaSet(rs *appsv1.ReplicaSet) {
	if ref, ok := t.byUID[ownerUID(rs)]; ok && ref.Kind == "Deployment" {
		if u := t.objs[ref]; u != nil {
			t.checkObject(ref, u, t.results[ref])
		}
	}
	if o, ok := t.owners[rs.UID]; ok {
		t.verdict(status.ReplicaSetFailure(o.ref, rs, t.th, t.w.now()))
	}
}

// onEvent emits a Warning Event about a release object, its current
// ReplicaSet or one of its new pods, and classifies it.
func (t *tracker) onEvent(ev *corev1.Event) {
	ref, pod, ok := t.eventSubject(ev)
	if !ok {
		return
	}
	if _, last := status.EventTimes(ev); last.Before(t.start.Add(-eventSlack)) {
		return
	}
	key := fmt.Sprintf("%s/%d", ev.UID, status.EventCount(ev))
	if !t.seen[key] {
		t.seen[key] = true
		t.w.emit(event.Event{Type: event.TypeKubeEvent, Object: ref.String(), Message: kubeEventMessage(ev), Data: event.KubeEvent{
			Object: ref, Involved: ev.InvolvedObject.Kind + " " + ev.InvolvedObject.Name,
			Reason: ev.Reason, Message: ev.Message, Count: status.EventCount(ev),
		}})
	}
	if ev.Reason == "FailedScheduling" && pod != nil && pod.Spec.NodeName != "" {
		return
	}
	if pod == nil {
		t.verdict(status.EventFailure(ref, "", ev, t.th, t.w.now()))
		return
	}
	v := status.EventFailure(ref, pod.Name, ev, t.th, t.w.now())
	if v.Failure != nil && ev.Reason != "FailedScheduling" {
		// The pod's status is the better witness (it names the container and
		// the last exit); an Event seen first waits briefly for it.
		v.Failure.Container = eventContainer(ev, pod)
		t.deferFailure(pod, *v.Failure)
		return
	}
	t.verdict(v)
}

// eventConfirm is how long a failure seen only in an Event about a pod
// waits for the pod's status to show it too.
const eventConfirm = time.Second

// deferred is a failure from an Event waiting for the pod's status.
type deferred struct {
	failure status.Failure
	pod     types.NamespacedName
	owner   types.UID
	at      time.Time
}

// deferFailure holds an Event's failure until eventConfirm passes.
func (t *tracker) deferFailure(pod *corev1.Pod, f status.Failure) {
	key := f.Key()
	if _, ok := t.deferred[key]; ok || t.reported[key] {
		return
	}
	d := deferred{failure: f, pod: types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}, owner: ownerUID(pod), at: t.w.now().Add(eventConfirm)}
	t.deferred[key] = d
	t.scheduleRecheck(d.at)
}

// settleDeferred reports held Event failures whose time has come, unless
// the pod's status has shown a failure meanwhile.
func (t *tracker) settleDeferred() {
	now := t.w.now()
	for key, d := range t.deferred {
		if now.Before(d.at) {
			t.scheduleRecheck(d.at)
			continue
		}
		delete(t.deferred, key)
		if t.podFailureReported(d.pod.Name) {
			continue
		}
		t.fail(&d.failure)
	}
}

// podFailureReported reports whether a failure of the pod was found.
func (t *tracker) podFailureReported(pod string) bool {
	return t.reportedPods[pod]
}

// eventContainer names the container an Event is about: from its field
// path (spec.containers{app}), or the pod's only container.
func eventContainer(ev *corev1.Event, pod *corev1.Pod) string {
	fp := ev.InvolvedObject.FieldPath
	if i := strings.Index(fp, "{"); i >= 0 && strings.HasSuffix(fp, "}") {
		return fp[i+1 : len(fp)-1]
	}
	if len(pod.Spec.Containers) == 1 && len(pod.Spec.InitContainers) == 0 {
		return pod.Spec.Containers[0].Name
	}
	return ""
}

// kubeEventMessage renders an Event as kubectl's describe does, in one line.
func kubeEventMessage(ev *corev1.Event) string {
	msg := fmt.Sprintf("%s %s on %s %s: %s", ev.Type, ev.Reason, ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Message)
	if n := status.EventCount(ev); n > 1 {
		msg += fmt.Sprintf(" (x%d)", n)
	}
	return msg
}

// eventSubject returns the release object an Event concerns and, when the
// Event is about a new pod, that pod.
func (t *tracker) eventSubject(ev *corev1.Event) (manifest.Ref, *corev1.Pod, bool) {
	uid := ev.InvolvedObject.UID
	if ref, ok := t.byUID[uid]; ok {
		return ref, nil, true
	}
	if o, ok := t.owners[uid]; ok {
		return o.ref, nil, true
	}
	if ev.InvolvedObject.Kind != "Pod" {
		return manifest.Ref{}, nil, false
	}
	nw := t.ns[ev.InvolvedObject.Namespace]
	if nw == nil {
		return manifest.Ref{}, nil, false
	}
	it, ok, _ := nw.pods.GetStore().GetByKey(ev.InvolvedObject.Namespace + "/" + ev.InvolvedObject.Name)
	if !ok {
		return manifest.Ref{}, nil, false
	}
	pod := it.(*corev1.Pod)
	o, ok := t.owners[ownerUID(pod)]
	if pod.UID != uid || !ok || !t.isNewPod(o, pod) {
		return manifest.Ref{}, nil, false
	}
	return o.ref, pod, true
}

// checkOwner examines every known new pod of o, and o itself when it is
// a ReplicaSet.
func (t *tracker) checkOwner(o owner) {
	for _, pod := range t.podsOf(o.ref.Namespace, o.uid) {
		if t.isNewPod(o, pod) {
			t.checkPod(o.ref, pod)
		}
	}
	nw := t.ns[o.ref.Namespace]
	if nw == nil || nw.replicaSets == nil {
		return
	}
	for _, it := range nw.replicaSets.GetStore().List() {
		if rs := it.(*appsv1.ReplicaSet); rs.UID == o.uid {
			t.verdict(status.ReplicaSetFailure(o.ref, rs, t.th, t.w.now()))
		}
	}
}

// checkPod classifies a new pod of ref and the Events about it; a pod
// failure carries the latest Warning Event's text about the pod.
func (t *tracker) checkPod(ref manifest.Ref, pod *corev1.Pod) {
	v := status.PodFailure(ref, pod, t.th, t.w.now())
	if v.Failure != nil {
		if ev := t.latestEvent(pod.Namespace, pod.UID); ev != nil && !strings.Contains(v.Failure.Message, ev.Message) {
			v.Failure.Message += fmt.Sprintf(" (event %s: %s)", ev.Reason, ev.Message)
		}
	}
	t.verdict(v)
	for _, ev := range t.eventsAbout(pod.Namespace, pod.UID) {
		t.onEvent(ev)
	}
}

// verdict records a classifier's failure or arms its recheck.
func (t *tracker) verdict(v status.Verdict) {
	t.fail(v.Failure)
	t.scheduleRecheck(v.RecheckAt)
}

// sweep re-examines everything: run when a grace may have run out.
func (t *tracker) sweep() {
	defer t.settleDeferred()
	for _, r := range t.refs {
		if u := t.objs[r]; u != nil {
			t.checkObject(r, u, t.results[r])
		}
	}
	for _, o := range t.owners {
		t.checkOwner(o)
	}
}

// podsOf returns the cached pods controlled by uid.
func (t *tracker) podsOf(ns string, uid types.UID) []*corev1.Pod {
	nw := t.ns[ns]
	if nw == nil {
		return nil
	}
	items, _ := nw.pods.GetIndexer().ByIndex(byOwner, string(uid))
	out := make([]*corev1.Pod, 0, len(items))
	for _, it := range items {
		out = append(out, it.(*corev1.Pod))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// eventsAbout returns the cached Warning Events about the object uid.
func (t *tracker) eventsAbout(ns string, uid types.UID) []*corev1.Event {
	nw := t.ns[ns]
	if nw == nil {
		return nil
	}
	items, _ := nw.events.GetIndexer().ByIndex(byInvolved, string(uid))
	out := make([]*corev1.Event, 0, len(items))
	for _, it := range items {
		out = append(out, it.(*corev1.Event))
	}
	return out
}

// latestEvent returns the most recent Warning Event about uid, if any.
func (t *tracker) latestEvent(ns string, uid types.UID) *corev1.Event {
	var best *corev1.Event
	for _, ev := range t.eventsAbout(ns, uid) {
		_, last := status.EventTimes(ev)
		if best == nil {
			best = ev
			continue
		}
		if _, bl := status.EventTimes(best); last.After(bl) {
			best = ev
		}
	}
	return best
}

// eventOf is the detector.failure event of f.
func eventOf(f status.Failure) event.Event {
	obj := ""
	if f.Object.Kind != "" {
		obj = f.Object.String()
	}
	return event.Event{Type: event.TypeFailure, Object: obj, Message: f.String(), Data: f}
}
