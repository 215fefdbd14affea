package wait

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/status"
)

// errTimeout ends a step when the wait's timeout passed.
var errTimeout = errors.New("timeout")

// updateKind says which watch an update came from.
type updateKind int

const (
	kindObject updateKind = iota
	kindPod
	kindReplicaSet
	kindEvent
)

// update is one notification from an informer.
type update struct {
	kind    updateKind
	gk      schema.GroupKind // for kindObject
	obj     any
	deleted bool
}

// owner is a controller (a Deployment's current ReplicaSet, a Job, a
// StatefulSet, ...) whose pods are the release object ref's new pods.
type owner struct {
	ref manifest.Ref
	uid types.UID
}

// nsWatches are the detector's informers of one namespace.
type nsWatches struct {
	pods, replicaSets, events cache.SharedIndexInformer
}

// tracker holds everything one wait or watch knows. Only its loop
// goroutine touches its maps; informers hand it updates on a channel.
type tracker struct {
	w     *Waiter
	th    status.Thresholds
	start time.Time

	refs    []manifest.Ref
	want    map[manifest.Ref]bool
	objs    map[manifest.Ref]*unstructured.Unstructured
	results map[manifest.Ref]status.Result
	byUID   map[types.UID]manifest.Ref
	owners  map[types.UID]owner        // pod controller UID -> release object
	newRS   map[manifest.Ref]types.UID // Deployment -> its current ReplicaSet
	ns      map[string]*nsWatches

	updates  chan update
	errs     chan error
	syncedCh chan struct{}
	synced   bool

	reported     map[string]bool // failures already found
	reportedPods map[string]bool // pods with a failure found
	deferred     map[string]deferred
	found        []status.Failure
	seen         map[string]bool // Kubernetes Events already emitted

	recheckAt time.Time
	recheck   *time.Timer

	// sight follows whether every watch works (nil: not followed);
	// delivered says when each handler has been given the initial list.
	sight     *sight
	delivered []cache.InformerSynced
}

// newTracker resolves refs to resources, starts one informer per kind and
// namespace for the objects and, per namespace with workloads, informers
// for pods, ReplicaSets and Warning Events.
func (w *Waiter) newTracker(ctx context.Context, refs []manifest.Ref, opts Options) (*tracker, error) {
	t := &tracker{
		w: w, th: status.ThresholdsFrom(opts.Detector), start: w.now(),
		want: map[manifest.Ref]bool{}, objs: map[manifest.Ref]*unstructured.Unstructured{},
		results: map[manifest.Ref]status.Result{}, byUID: map[types.UID]manifest.Ref{},
		owners: map[types.UID]owner{}, newRS: map[manifest.Ref]types.UID{}, ns: map[string]*nsWatches{},
		updates: make(chan update, 512), errs: make(chan error, 1), syncedCh: make(chan struct{}),
		reported: map[string]bool{}, reportedPods: map[string]bool{}, deferred: map[string]deferred{}, seen: map[string]bool{},
		recheck: time.NewTimer(time.Hour),
	}
	t.recheck.Stop()
	if opts.follow {
		t.sight = newSight(w.now, w.emit, ctx.Done())
	}
	groups, err := t.groupRefs(refs, opts.Namespace)
	if err != nil {
		return nil, err
	}
	informers, err := t.informers(ctx, groups)
	if err != nil {
		return nil, err
	}
	t.run(ctx, informers)
	return t, nil
}

// informers creates the object informers of groups and the detector's
// informers of every namespace with workloads.
func (t *tracker) informers(ctx context.Context, groups map[groupKey][]string) ([]cache.SharedIndexInformer, error) {
	var out []cache.SharedIndexInformer
	for key, names := range groups {
		inf, err := t.objectInformer(ctx, key, names)
		if err != nil {
			return nil, err
		}
		out = append(out, inf)
	}
	for ns, needRS := range t.workloadNamespaces() {
		nw, err := t.detectorInformers(ctx, ns, needRS)
		if err != nil {
			return nil, err
		}
		t.ns[ns] = nw
		out = append(out, nw.pods, nw.events)
		if nw.replicaSets != nil {
			out = append(out, nw.replicaSets)
		}
	}
	return out, nil
}

// run starts the informers until ctx ends and closes syncedCh once all
// have listed.
func (t *tracker) run(ctx context.Context, informers []cache.SharedIndexInformer) {
	synced := make([]cache.InformerSynced, len(informers))
	for i, inf := range informers {
		go inf.RunWithContext(ctx)
		synced[i] = inf.HasSynced
	}
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), synced...) {
			close(t.syncedCh)
		}
	}()
}

// groupKey is one watch: a resource in a namespace ("" for cluster scope).
type groupKey struct {
	gvr       schema.GroupVersionResource
	gk        schema.GroupKind
	namespace string
}

// groupRefs maps refs to resources and groups them by resource and
// namespace, filling in the default namespace for namespaced kinds.
func (t *tracker) groupRefs(refs []manifest.Ref, defaultNS string) (map[groupKey][]string, error) {
	groups := map[groupKey][]string{}
	var errs []error
	for _, r := range refs {
		gk := schema.GroupKind{Group: r.Group, Kind: r.Kind}
		m, err := t.w.Clients.Mapper.RESTMapping(gk)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: kind not served by the cluster: %w", r, err))
			continue
		}
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			if r.Namespace == "" {
				r.Namespace = defaultNS
			}
			if r.Namespace == "" {
				errs = append(errs, fmt.Errorf("%s: namespaced object without a namespace", r))
				continue
			}
		} else {
			r.Namespace = ""
		}
		if t.want[r] {
			continue
		}
		t.want[r] = true
		t.refs = append(t.refs, r)
		key := groupKey{gvr: m.Resource, gk: gk, namespace: r.Namespace}
		groups[key] = append(groups[key], r.Name)
	}
	return groups, errors.Join(errs...)
}

// workloadNamespaces returns the namespaces that hold objects with pods,
// and whether ReplicaSets must be watched there (for Deployments).
func (t *tracker) workloadNamespaces() map[string]bool {
	out := map[string]bool{}
	for _, r := range t.refs {
		if r.Namespace == "" || !hasPods(r) {
			continue
		}
		out[r.Namespace] = out[r.Namespace] || r.Kind == "Deployment"
	}
	return out
}

// hasPods reports whether objects of r's kind run pods the detector watches.
func hasPods(r manifest.Ref) bool {
	switch r.Group + "/" + r.Kind {
	case "apps/Deployment", "apps/ReplicaSet", "apps/StatefulSet", "apps/DaemonSet", "batch/Job", "/Pod":
		return true
	}
	return false
}

// stripManagedFields drops managedFields from cached objects: kship never
// reads them, and they are a large share of an object's memory.
func stripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// handlers returns informer callbacks that queue updates of one kind.
func (t *tracker) handlers(ctx context.Context, kind updateKind, gk schema.GroupKind) cache.ResourceEventHandler {
	send := func(obj any, deleted bool) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj, deleted = d.Obj, true
		}
		select {
		case t.updates <- update{kind: kind, gk: gk, obj: obj, deleted: deleted}:
		case <-ctx.Done():
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { send(obj, false) },
		UpdateFunc: func(_, obj any) { send(obj, false) },
		DeleteFunc: func(obj any) { send(obj, true) },
	}
}

// step handles one update, a grace recheck, the end of the initial sync,
// the timeout or the end of ctx.
func (t *tracker) step(ctx context.Context, timeout <-chan time.Time) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout:
		return errTimeout
	case err := <-t.errs:
		return err
	case u := <-t.updates:
		t.handle(u)
	case <-t.recheck.C:
		t.recheckAt = time.Time{}
		t.sweep()
	case <-t.syncedCh:
		t.syncedCh = nil
		t.synced = true
		t.markMissing()
	}
	return nil
}

// handle dispatches one informer update.
func (t *tracker) handle(u update) {
	switch u.kind {
	case kindObject:
		if obj, ok := u.obj.(*unstructured.Unstructured); ok {
			t.onObject(u.gk, obj, u.deleted)
		}
	case kindPod:
		if pod, ok := u.obj.(*corev1.Pod); ok && !u.deleted {
			t.onPod(pod)
		}
	case kindReplicaSet:
		if rs, ok := u.obj.(*appsv1.ReplicaSet); ok && !u.deleted {
			t.onReplicaSet(rs)
		}
	case kindEvent:
		if ev, ok := u.obj.(*corev1.Event); ok && !u.deleted {
			t.onEvent(ev)
		}
	}
}

// scheduleRecheck arms the grace timer for at, if earlier than the one armed.
func (t *tracker) scheduleRecheck(at time.Time) {
	if at.IsZero() || (!t.recheckAt.IsZero() && !at.Before(t.recheckAt)) {
		return
	}
	t.recheckAt = at
	t.recheck.Stop()
	d := at.Sub(t.w.now())
	if d < 0 {
		d = 0
	}
	t.recheck.Reset(d + 10*time.Millisecond)
}

// fail records a failure once.
func (t *tracker) fail(f *status.Failure) {
	if f == nil || t.reported[f.Key()] {
		return
	}
	t.reported[f.Key()] = true
	if f.Pod != "" {
		t.reportedPods[f.Pod] = true
	}
	t.found = append(t.found, *f)
}

// nextFailure returns the next failure found and not yet returned, after
// emitting it.
func (t *tracker) nextFailure() *status.Failure {
	if len(t.found) == 0 {
		return nil
	}
	f := t.found[0]
	t.found = t.found[1:]
	t.w.emit(eventOf(f))
	return &f
}

// ownerUID returns the UID of obj's controller, "" when it has none.
func ownerUID(obj metav1.Object) types.UID {
	if c := metav1.GetControllerOf(obj); c != nil {
		return c.UID
	}
	return ""
}
