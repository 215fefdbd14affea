package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"

	"github.com/kship/kship/internal/manifest"
)

// session is the state of one Apply or Prune: a metadata client for cheap
// lists and the live resourceVersions read before each phase.
type session struct {
	meta metadata.Interface
}

func (a *Applier) newSession() (*session, error) {
	mc, err := metadata.NewForConfig(a.Clients.Config)
	if err != nil {
		return nil, fmt.Errorf("build metadata client: %w", err)
	}
	return &session{meta: mc}, nil
}

// target is one object resolved to its resource.
type target struct {
	obj     manifest.Object
	ref     manifest.Ref
	mapping *meta.RESTMapping
}

// resolve maps an object to its resource, checking its namespace.
func (a *Applier) resolve(o manifest.Object) (target, error) {
	t := target{obj: o, ref: o.Ref()}
	gvk := o.GVK()
	m, err := a.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return t, objectError(t.ref, "kind not served by the cluster", err)
	}
	t.mapping = m
	namespaced := m.Scope.Name() == meta.RESTScopeNameNamespace
	switch {
	case namespaced && o.Obj.GetNamespace() == "":
		return t, fmt.Errorf("%s: namespaced object without a namespace", t.ref)
	case !namespaced && o.Obj.GetNamespace() != "":
		return t, fmt.Errorf("%s: cluster-scoped object has metadata.namespace %q; remove it", t.ref, o.Obj.GetNamespace())
	}
	return t, nil
}

// client returns the dynamic client of t's resource and namespace.
func (a *Applier) client(t target) dynamic.ResourceInterface {
	res := a.Clients.Dynamic.Resource(t.mapping.Resource)
	if ns := t.obj.Obj.GetNamespace(); ns != "" && t.mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		return res.Namespace(ns)
	}
	return res
}

// applyOne server-side applies one object; before is its live metadata
// (nil when it did not exist). A Job whose template changed is deleted and
// recreated (Jobs are immutable).
func (a *Applier) applyOne(ctx context.Context, s *session, t target, before *metav1.ObjectMeta) (Change, error) {
	ch := Change{Ref: t.ref, Source: t.obj.Source}
	live, err := a.patch(ctx, t)
	if err != nil && isJob(t.ref) && apierrors.IsInvalid(err) && before != nil && strings.Contains(err.Error(), "immutable") {
		ch.Message = "Job template changed: deleted and recreated (Jobs are immutable)"
		if err = a.deleteAndWait(ctx, s, t); err == nil {
			before = nil
			live, err = a.patch(ctx, t)
		}
	}
	if err != nil {
		ch.Action, ch.Error = Failed, err.Error()
		return ch, a.applyError(t, err)
	}
	ch.Action = actionOf(before, live)
	return ch, nil
}

// controllerAnnotations are set on objects by controllers, not by the
// apply; a change in them alone is not a change kship made.
var controllerAnnotations = []string{"deployment.kubernetes.io/revision"}

// actionOf decides created, configured or unchanged from the object's
// metadata before and after the apply. A new resourceVersion alone is not
// enough (a controller may have written the status in between): for
// objects with a generation, the generation, labels or annotations must
// have changed too.
func actionOf(before *metav1.ObjectMeta, after *unstructured.Unstructured) Action {
	switch {
	case before == nil:
		return Created
	case before.ResourceVersion == after.GetResourceVersion():
		return Unchanged
	case before.Generation == 0 || before.Generation != after.GetGeneration():
		return Configured
	case !maps.Equal(before.Labels, after.GetLabels()):
		return Configured
	}
	a1, a2 := maps.Clone(before.Annotations), maps.Clone(after.GetAnnotations())
	for _, k := range controllerAnnotations {
		delete(a1, k)
		delete(a2, k)
	}
	if maps.Equal(a1, a2) {
		return Unchanged
	}
	return Configured
}

// patch sends the server-side apply request.
func (a *Applier) patch(ctx context.Context, t target) (*unstructured.Unstructured, error) {
	body, err := applyBody(t.obj.Obj)
	if err != nil {
		return nil, err
	}
	force := a.ForceConflicts
	return a.client(t).Patch(ctx, t.obj.Obj.GetName(), types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: a.fieldManager(), Force: &force})
}

// serverFields are set by the API server; an apply request must not carry
// them (they appear when manifests were exported from a cluster).
var serverFields = [][]string{
	{"metadata", "managedFields"}, {"metadata", "resourceVersion"}, {"metadata", "uid"},
	{"metadata", "creationTimestamp"}, {"metadata", "generation"}, {"metadata", "selfLink"},
}

// applyBody is the apply configuration of u: u without server-set fields.
func applyBody(u *unstructured.Unstructured) ([]byte, error) {
	c := u.DeepCopy()
	for _, f := range serverFields {
		unstructured.RemoveNestedField(c.Object, f...)
	}
	return json.Marshal(c.Object)
}

func isJob(r manifest.Ref) bool { return r.Group == "batch" && r.Kind == "Job" }

// ConflictError is returned when server-side apply refused to take over
// fields another field manager owns.
type ConflictError struct {
	Object    manifest.Ref
	Conflicts []Conflict
}

// Conflict is one field owned by another manager.
type Conflict struct {
	Manager string `json:"manager"`
	Field   string `json:"field"`
}

// Error names the object, each conflicting field with its manager, and
// the way out.
func (e *ConflictError) Error() string {
	byManager := map[string][]string{}
	for _, c := range e.Conflicts {
		byManager[c.Manager] = append(byManager[c.Manager], c.Field)
	}
	managers := make([]string, 0, len(byManager))
	for m := range byManager {
		managers = append(managers, m)
	}
	sort.Strings(managers)
	parts := make([]string, 0, len(managers))
	for _, m := range managers {
		parts = append(parts, fmt.Sprintf("%s owned by field manager %q", strings.Join(byManager[m], ", "), m))
	}
	return fmt.Sprintf("%s: apply conflict: %s; kship does not take over fields another manager set; "+
		"re-run with --force-conflicts to take them over, or remove them from the manifest", e.Object, strings.Join(parts, "; "))
}

var managerRE = regexp.MustCompile(`conflict with "([^"]+)"`)

// applyError names the object; a field conflict becomes a *ConflictError.
func (a *Applier) applyError(t target, err error) error {
	var se apierrors.APIStatus
	if apierrors.IsConflict(err) && errors.As(err, &se) && se.Status().Details != nil {
		ce := &ConflictError{Object: t.ref}
		for _, c := range se.Status().Details.Causes {
			if c.Type != metav1.CauseTypeFieldManagerConflict {
				continue
			}
			manager := c.Message
			if m := managerRE.FindStringSubmatch(c.Message); m != nil {
				manager = m[1]
			}
			ce.Conflicts = append(ce.Conflicts, Conflict{Manager: manager, Field: c.Field})
		}
		if len(ce.Conflicts) > 0 {
			return ce
		}
	}
	return objectError(t.ref, "apply failed", err)
}

// listKey is one metadata list: a resource in a namespace.
type listKey struct {
	gvr schema.GroupVersionResource
	ns  string
}

// liveKey identifies a live object by resource, namespace and name.
type liveKey struct {
	listKey
	name string
}

// key returns t's liveKey.
func (t target) key() liveKey {
	ns := ""
	if t.mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns = t.obj.Obj.GetNamespace()
	}
	return liveKey{listKey{t.mapping.Resource, ns}, t.obj.Obj.GetName()}
}

// liveVersions lists (metadata only, one request per resource and
// namespace) the live metadata of the targets' objects; objects that do
// not exist are absent.
func (a *Applier) liveVersions(ctx context.Context, s *session, targets []target) (map[liveKey]*metav1.ObjectMeta, error) {
	keys := map[listKey]bool{}
	for _, t := range targets {
		keys[t.key().listKey] = true
	}
	out := map[liveKey]*metav1.ObjectMeta{}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			list, err := s.meta.Resource(k.gvr).Namespace(k.ns).List(ctx, metav1.ListOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("list %s in %q: %w", k.gvr.Resource, k.ns, err))
				return
			}
			for i := range list.Items {
				out[liveKey{k, list.Items[i].Name}] = &list.Items[i].ObjectMeta
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
