package wait

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// Index names of the detector's caches.
const (
	byOwner    = "owner"    // pods and ReplicaSets by their controller's UID
	byInvolved = "involved" // Events by the UID of the object they are about
)

// ownerIndex indexes an object by its controller's UID.
func ownerIndex(obj any) ([]string, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, nil
	}
	if uid := ownerUID(m); uid != "" {
		return []string{string(uid)}, nil
	}
	return nil, nil
}

// involvedIndex indexes an Event by the UID of the object it is about.
func involvedIndex(obj any) ([]string, error) {
	ev, ok := obj.(*corev1.Event)
	if !ok || ev.InvolvedObject.UID == "" {
		return nil, nil
	}
	return []string{string(ev.InvolvedObject.UID)}, nil
}

// objectInformer starts one informer for the release objects of one kind
// in one namespace; for a single object it lists and watches only that
// name.
func (t *tracker) objectInformer(ctx context.Context, key groupKey, names []string) (cache.SharedIndexInformer, error) {
	res := t.w.Clients.Dynamic.Resource(key.gvr)
	var client interface {
		List(context.Context, metav1.ListOptions) (*unstructured.UnstructuredList, error)
		Watch(context.Context, metav1.ListOptions) (watch.Interface, error)
	} = res
	if key.namespace != "" {
		client = res.Namespace(key.namespace)
	}
	tweak := func(o *metav1.ListOptions) {
		if len(names) == 1 {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", names[0]).String()
		}
	}
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			tweak(&o)
			return client.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			tweak(&o)
			return client.Watch(ctx, o)
		},
	}
	inf := cache.NewSharedIndexInformer(t.sight.listWatch(key.String(), lw), &unstructured.Unstructured{}, 0, cache.Indexers{})
	return t.register(ctx, inf, kindObject, key)
}

// detectorInformers creates the pod, Warning Event and (for Deployments)
// ReplicaSet informers of one namespace.
func (t *tracker) detectorInformers(ctx context.Context, ns string, needRS bool) (*nsWatches, error) {
	cs := t.w.Clients.Typed
	nw := &nsWatches{}
	var err error
	pods := t.sight.listWatch("pods in namespace "+ns, &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Pods(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return cs.CoreV1().Pods(ns).Watch(ctx, o)
		},
	})
	podInf := cache.NewSharedIndexInformer(pods, &corev1.Pod{}, 0, cache.Indexers{byOwner: ownerIndex})
	if nw.pods, err = t.register(ctx, podInf, kindPod, detectorKey("pods", ns)); err != nil {
		return nil, err
	}
	warnings := "type=" + corev1.EventTypeWarning
	events := t.sight.listWatch("warning events in namespace "+ns, &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = warnings
			return cs.CoreV1().Events(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = warnings
			return cs.CoreV1().Events(ns).Watch(ctx, o)
		},
	})
	evInf := cache.NewSharedIndexInformer(events, &corev1.Event{}, 0, cache.Indexers{byInvolved: involvedIndex})
	if nw.events, err = t.register(ctx, evInf, kindEvent, detectorKey("events", ns)); err != nil {
		return nil, err
	}
	if needRS {
		rs := t.sight.listWatch("replicasets in namespace "+ns, &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return cs.AppsV1().ReplicaSets(ns).List(ctx, o)
			},
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return cs.AppsV1().ReplicaSets(ns).Watch(ctx, o)
			},
		})
		rsInf := cache.NewSharedIndexInformer(rs, &appsv1.ReplicaSet{}, 0, cache.Indexers{byOwner: ownerIndex})
		if nw.replicaSets, err = t.register(ctx, rsInf, kindReplicaSet, detectorKey("replicasets", ns)); err != nil {
			return nil, err
		}
	}
	return nw, nil
}

// watchError reports list and watch errors that retrying cannot fix (no
// permission, resource gone) to the tracker's loop; others are retried by
// the informer as usual, without logging.
func (t *tracker) watchError(key groupKey) cache.WatchErrorHandlerWithContext {
	return func(ctx context.Context, r *cache.Reflector, err error) {
		if !apierrors.IsForbidden(err) && !apierrors.IsUnauthorized(err) && !apierrors.IsNotFound(err) {
			return
		}
		what := key.gvr.Resource
		if key.namespace != "" {
			what += " in namespace " + key.namespace
		}
		select {
		case t.errs <- fmt.Errorf("cannot watch %s: %w", what, err):
		default:
		}
	}
}

// detectorKey names a detector watch in errors.
func detectorKey(resource, ns string) groupKey {
	return groupKey{gvr: schema.GroupVersionResource{Resource: resource}, namespace: ns}
}

// register strips managed fields from the informer's cache and queues its
// notifications on the tracker's channel.
func (t *tracker) register(ctx context.Context, inf cache.SharedIndexInformer, kind updateKind, key groupKey) (cache.SharedIndexInformer, error) {
	if err := inf.SetTransform(stripManagedFields); err != nil {
		return nil, fmt.Errorf("watch %s: %w", key.gvr.Resource, err)
	}
	if err := inf.SetWatchErrorHandlerWithContext(t.watchError(key)); err != nil {
		return nil, fmt.Errorf("watch %s: %w", key.gvr.Resource, err)
	}
	reg, err := inf.AddEventHandler(t.handlers(ctx, kind, key.gk))
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", key.gvr.Resource, err)
	}
	t.delivered = append(t.delivered, reg.HasSynced)
	return inf, nil
}

// String names the watch in what the detector says about it.
func (k groupKey) String() string {
	s := k.gvr.Resource
	if k.namespace != "" {
		s += " in namespace " + k.namespace
	}
	return s
}
