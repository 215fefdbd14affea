package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kship/kship/internal/manifest"
)

// Prune deletes the live objects objs name (the previous revision's
// objects this release no longer has), with foreground propagation, in
// reverse dependency order (workloads before their config, Namespaces
// last), and waits until they are gone. Objects already gone are reported
// as pruned with a message.
func (a *Applier) Prune(ctx context.Context, objs []manifest.Object) (*ChangeSet, error) {
	cs := &ChangeSet{}
	s, err := a.newSession()
	if err != nil {
		return cs, err
	}
	sorted := manifest.SortForApply(objs)
	slices.Reverse(sorted)
	changes := make([]Change, len(sorted))
	errs := make([]error, len(sorted))
	targets := make([]*target, len(sorted))
	for i, o := range sorted {
		t, err := a.resolve(o)
		if err != nil {
			changes[i] = Change{Ref: o.Ref(), Source: o.Source, Action: Failed, Error: err.Error()}
			errs[i] = err
			continue
		}
		targets[i] = &t
	}
	forEach(ctx, a.workers(), len(sorted), func(i int) {
		if targets[i] != nil {
			changes[i], errs[i] = a.deleteOne(ctx, *targets[i])
		}
	})
	var deleted []target
	for i, t := range targets {
		if t != nil && changes[i].Action == Pruned {
			deleted = append(deleted, *t)
		}
	}
	if err := a.waitGone(ctx, s, deleted); err != nil {
		errs = append(errs, err)
	}
	for _, ch := range changes {
		if ch.Action != "" {
			cs.Changes = append(cs.Changes, ch)
			a.emit(ch)
		}
	}
	return cs, collect(errs)
}

// deleteOne deletes one object with foreground propagation.
func (a *Applier) deleteOne(ctx context.Context, t target) (Change, error) {
	ch := Change{Ref: t.ref, Source: t.obj.Source, Action: Pruned}
	fg := metav1.DeletePropagationForeground
	err := a.client(t).Delete(ctx, t.obj.Obj.GetName(), metav1.DeleteOptions{PropagationPolicy: &fg})
	switch {
	case apierrors.IsNotFound(err):
		ch.Message = "already absent"
	case err != nil:
		ch.Action, ch.Error = Failed, err.Error()
		return ch, objectError(t.ref, "delete failed", err)
	}
	return ch, nil
}

// deleteAndWait deletes one object (foreground) and waits until it is gone.
func (a *Applier) deleteAndWait(ctx context.Context, s *session, t target) error {
	if _, err := a.deleteOne(ctx, t); err != nil {
		return err
	}
	return a.waitGone(ctx, s, []target{t})
}

// waitGone watches (one metadata list and watch per resource and
// namespace) until none of the targets exists any more.
func (a *Applier) waitGone(ctx context.Context, s *session, targets []target) error {
	groups := map[listKey]map[string]manifest.Ref{}
	for _, t := range targets {
		k := t.key()
		if groups[k.listKey] == nil {
			groups[k.listKey] = map[string]manifest.Ref{}
		}
		groups[k.listKey][k.name] = t.ref
	}
	var errs []error
	for k, names := range groups {
		if err := a.waitGroupGone(ctx, s, k, names); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// waitGroupGone waits until no object of names exists in one resource
// and namespace: it lists, then watches from the list's resourceVersion,
// listing again if the watch ends early.
func (a *Applier) waitGroupGone(ctx context.Context, s *session, k listKey, names map[string]manifest.Ref) error {
	client := s.meta.Resource(k.gvr).Namespace(k.ns)
	for {
		list, err := client.List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("list %s to wait for deletion: %w", k.gvr.Resource, err)
		}
		remaining := map[string]bool{}
		for _, it := range list.Items {
			if _, ok := names[it.Name]; ok {
				remaining[it.Name] = true
			}
		}
		if len(remaining) == 0 {
			return nil
		}
		w, err := client.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			return fmt.Errorf("watch %s to wait for deletion: %w", k.gvr.Resource, err)
		}
		done := drainDeletes(ctx, w, remaining)
		w.Stop()
		if done {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("waiting for %d %s to be deleted: %w", len(remaining), k.gvr.Resource, err)
		}
	}
}

// drainDeletes removes deleted names from remaining until it is empty
// (true), or the watch or ctx ends (false).
func drainDeletes(ctx context.Context, w watch.Interface, remaining map[string]bool) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false
			}
			if ev.Type != watch.Deleted {
				continue
			}
			if m, err := metaName(ev.Object); err == nil {
				delete(remaining, m)
			}
			if len(remaining) == 0 {
				return true
			}
		}
	}
}

// metaName returns an object's name.
func metaName(obj runtime.Object) (string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return "", fmt.Errorf("read object metadata: %w", err)
	}
	return m.GetName(), nil
}
