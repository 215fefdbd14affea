package wait

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/status"
)

// ReasonRestartedWhileBlind is the Reason of a Failure Reobserve finds: a
// container of a new pod restarted, while the detector could not watch,
// as often as the restart threshold allows.
const ReasonRestartedWhileBlind = "RestartedWhileBlind"

// Reobservation is what a fresh look at a release's workloads found after
// the detector was blind: the new pods seen, the failures (the detector's
// own rules on their state now, and restarts that happened since the blind
// stretch began), the pods not Ready and the containers that restarted.
type Reobservation struct {
	Since     time.Time        `json:"since"`
	Pods      int              `json:"pods"`
	Failures  []status.Failure `json:"failures,omitempty"`
	NotReady  []string         `json:"notReady,omitempty"`
	Restarted []string         `json:"restarted,omitempty"`
}

// Summary says in one line what the re-observation found.
func (r *Reobservation) Summary() string {
	parts := []string{fmt.Sprintf("%d new %s re-listed", r.Pods, plural(r.Pods, "pod", "pods"))}
	if len(r.Restarted) == 0 {
		parts = append(parts, "no container restarted since "+r.Since.UTC().Format("15:04:05Z"))
	} else {
		parts = append(parts, "restarted since "+r.Since.UTC().Format("15:04:05Z")+": "+strings.Join(r.Restarted, ", "))
	}
	if len(r.NotReady) == 0 {
		parts = append(parts, "all Ready")
	} else {
		parts = append(parts, "not Ready: "+strings.Join(r.NotReady, ", "))
	}
	for _, f := range r.Failures {
		parts = append(parts, "failure: "+f.String())
	}
	return strings.Join(parts, "; ")
}

// Reobserve looks again at what the detector of objs could have missed
// since since: it lists the release's objects, their pods, ReplicaSets and
// Warning Events afresh (waiting, until ctx ends, for the API server to
// answer), applies the detector's rules to what it finds (Warning Events
// since since count), and reports every new pod's container that
// restarted since since, and every new pod that is not Ready. A container
// that restarted since then and has restarted RestartThreshold times is a
// failure (ReasonRestartedWhileBlind): a crash loop the detector may have
// seen only between two crashes.
func (w *Waiter) Reobserve(ctx context.Context, objs []manifest.Ref, opts Options, since time.Time) (*Reobservation, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts.follow = false
	t, err := w.newTracker(ctx, objs, opts)
	if err != nil {
		return nil, err
	}
	t.start = since
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !t.synced || !delivered(t.delivered) {
		// the tick wakes the loop when the last handler was given its
		// list after its last update was taken
		if err := t.step(ctx, tick.C); err != nil && !errors.Is(err, errTimeout) {
			return nil, fmt.Errorf("re-list what the detector watches: %w", err)
		}
	}
	for len(t.updates) > 0 {
		t.handle(<-t.updates)
	}
	t.sweep()
	res := &Reobservation{Since: since}
	seen := map[string]bool{}
	for _, f := range t.found {
		res.Failures = append(res.Failures, f)
		seen[f.Pod] = true
	}
	for _, o := range t.owners {
		for _, pod := range t.podsOf(o.ref.Namespace, o.uid) {
			if !t.isNewPod(o, pod) || pod.DeletionTimestamp != nil {
				continue
			}
			res.Pods++
			if !status.IsReady(pod) {
				res.NotReady = append(res.NotReady, pod.Name+" ("+status.NotReadyHint(pod)+")")
			}
			for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
				at, ok := restartedSince(cs, since)
				if !ok {
					continue
				}
				res.Restarted = append(res.Restarted, fmt.Sprintf("%s/%s (%d restarts, last exit at %s)", pod.Name, cs.Name, cs.RestartCount, at.UTC().Format("15:04:05Z")))
				if cs.RestartCount >= t.th.RestartThreshold && !seen[pod.Name] {
					seen[pod.Name] = true
					res.Failures = append(res.Failures, status.Failure{Object: o.ref, Pod: pod.Name, Container: cs.Name, Reason: ReasonRestartedWhileBlind, At: w.now(),
						Message: fmt.Sprintf("restarted %d times, the last exit at %s, while the detector could not watch", cs.RestartCount, at.UTC().Format("15:04:05Z"))})
				}
			}
		}
	}
	sort.Strings(res.NotReady)
	sort.Strings(res.Restarted)
	return res, nil
}

// restartedSince reports whether a container's last exit ended at or
// after since (Kubernetes times have second precision), and when.
func restartedSince(cs corev1.ContainerStatus, since time.Time) (time.Time, bool) {
	var last time.Time
	if t := cs.LastTerminationState.Terminated; t != nil {
		last = t.FinishedAt.Time
	}
	if t := cs.State.Terminated; t != nil && t.FinishedAt.After(last) {
		last = t.FinishedAt.Time
	}
	if last.IsZero() || last.Before(since.Truncate(time.Second)) {
		return time.Time{}, false
	}
	return last, true
}

// delivered reports whether every handler has been given its informer's
// initial list.
func delivered(fns []cache.InformerSynced) bool {
	for _, f := range fns {
		if !f() {
			return false
		}
	}
	return true
}
