package wait

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/status"
)

// scripted builds a tracker without a cluster: its caches are filled by
// the test, and updates are handed to it in a scripted order.
func scripted(t *testing.T, clock *time.Time) *tracker {
	t.Helper()
	w := &Waiter{Now: func() time.Time { return *clock }}
	tr := &tracker{
		w: w, th: status.Thresholds{RestartThreshold: 2, Grace: 5 * time.Second}, start: *clock,
		want: map[manifest.Ref]bool{}, byUID: map[types.UID]manifest.Ref{}, owners: map[types.UID]owner{},
		newRS: map[manifest.Ref]types.UID{}, ns: map[string]*nsWatches{},
		reported: map[string]bool{}, reportedPods: map[string]bool{}, deferred: map[string]deferred{}, seen: map[string]bool{},
		recheck: time.NewTimer(time.Hour),
	}
	tr.recheck.Stop()
	tr.ns["shop"] = &nsWatches{
		pods:   cache.NewSharedIndexInformer(&cache.ListWatch{}, &corev1.Pod{}, 0, cache.Indexers{byOwner: ownerIndex}),
		events: cache.NewSharedIndexInformer(&cache.ListWatch{}, &corev1.Event{}, 0, cache.Indexers{byInvolved: involvedIndex}),
		replicaSets: cache.NewSharedIndexInformer(&cache.ListWatch{}, &appsv1.ReplicaSet{}, 0,
			cache.Indexers{byOwner: ownerIndex}),
	}
	tr.owners["rs-uid"] = owner{ref: web, uid: "rs-uid"}
	return tr
}

var web = manifest.Ref{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}

func podOf(t *testing.T, doc string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	if err := yaml.Unmarshal([]byte(`
metadata:
  name: web-1
  namespace: shop
  uid: pod-uid
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-rs, uid: rs-uid, controller: true}]
spec: {containers: [{name: app, image: "demo:v3"}]}
`+doc), pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

func backOff(at time.Time, count int32) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web-1.backoff", Namespace: "shop", UID: "ev-uid"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web-1", UID: "pod-uid"},
		Reason:         "BackOff", Type: corev1.EventTypeWarning, Count: count,
		Message:        "Back-off restarting failed container",
		FirstTimestamp: metav1.NewTime(at), LastTimestamp: metav1.NewTime(at),
	}
}

const oomStatus = `
status:
  phase: Running
  containerStatuses:
  - name: app
    restartCount: 2
    lastState: {terminated: {reason: OOMKilled, exitCode: 137}}
    state: {waiting: {reason: CrashLoopBackOff, message: back-off 10s}}
`

// TestEventBeforeStatus: the kubelet's BackOff Event arrives before the
// pod status that explains it; the failure reported is the status's
// (OOMKilled, with the container), not the Event's guess.
func TestEventBeforeStatus(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	tr := scripted(t, &clock)
	pod := podOf(t, "status: {phase: Running}")
	if err := tr.ns["shop"].pods.GetIndexer().Add(pod); err != nil {
		t.Fatal(err)
	}
	tr.handle(update{kind: kindEvent, obj: backOff(clock, 2)})
	if f := tr.nextFailure(); f != nil {
		t.Fatalf("failure from the Event alone, before the pod status could confirm it: %s", f)
	}
	clock = clock.Add(50 * time.Millisecond)
	tr.handle(update{kind: kindPod, obj: podOf(t, oomStatus)})
	f := tr.nextFailure()
	if f == nil || f.Reason != "OOMKilled" || f.Container != "app" || f.Pod != "web-1" || f.Object != web {
		t.Fatalf("failure = %v, want OOMKilled of container app in pod web-1", f)
	}
	clock = clock.Add(2 * time.Second)
	tr.sweep()
	if f := tr.nextFailure(); f != nil {
		t.Errorf("the held Event failure was reported too: %s", f)
	}
}

// TestEventOnly: a failure only an Event shows is reported once the
// confirmation time has passed.
func TestEventOnly(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	tr := scripted(t, &clock)
	pod := podOf(t, "status: {phase: Running}")
	if err := tr.ns["shop"].pods.GetIndexer().Add(pod); err != nil {
		t.Fatal(err)
	}
	tr.handle(update{kind: kindEvent, obj: backOff(clock, 3)})
	if tr.recheckAt.IsZero() {
		t.Fatal("no recheck armed for the held Event failure")
	}
	clock = clock.Add(eventConfirm)
	tr.sweep()
	f := tr.nextFailure()
	if f == nil || f.Reason != "CrashLoopBackOff" || f.Container != "app" || f.Message != "Back-off restarting failed container" {
		t.Fatalf("failure = %v", f)
	}
}

// TestOldEventsIgnored: an Event last seen well before the wait started
// (a previous rollout) is neither emitted nor classified.
func TestOldEventsIgnored(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	tr := scripted(t, &clock)
	if err := tr.ns["shop"].pods.GetIndexer().Add(podOf(t, "status: {phase: Running}")); err != nil {
		t.Fatal(err)
	}
	tr.handle(update{kind: kindEvent, obj: backOff(clock.Add(-time.Minute), 5)})
	clock = clock.Add(2 * eventConfirm)
	tr.sweep()
	if f := tr.nextFailure(); f != nil {
		t.Errorf("failure from an old Event: %s", f)
	}
	if len(tr.seen) != 0 {
		t.Errorf("old Event emitted: %v", tr.seen)
	}
}
