package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/kship/kship/internal/manifest"
)

// AccessError is returned when the cluster cannot be asked at all: it is
// unreachable, or the credentials are refused or lack the rights to read
// and dry-run the release's objects. It is bad input, not a check result.
type AccessError struct {
	Object manifest.Ref // zero when the error is not about one object
	Source manifest.Location
	Err    error
}

func (e *AccessError) Error() string {
	if e.Object.Kind == "" {
		return fmt.Sprintf("cluster: %v", e.Err)
	}
	return fmt.Sprintf("%s (%s): %v", e.Object, e.Source, e.Err)
}

func (e *AccessError) Unwrap() error { return e.Err }

// session is the state of one Compute call.
type session struct {
	c *Planner
	// newNamespaces are the Namespaces the bundle creates that do not exist.
	newNamespaces map[string]bool
	// bundleCRDs maps group/kind to the name of the CRD in the bundle.
	bundleCRDs map[schema.GroupKind]string
	// standIn is the existing namespace objects of new namespaces are
	// dry-run in.
	standIn string
	secrets []string
	// live holds objects read in bulk (one LIST per resource and
	// namespace) before the per-object dry-runs; see prefetch.
	live   map[liveKey]*unstructured.Unstructured
	listed map[bulkKey]bool
	dyn    dynamic.Interface
}

// newSession indexes the bundle: the Namespaces it creates that do not
// exist yet (the release namespace counts too: deploy creates it for a
// first release), the CRDs it defines, and its Secret values.
func (p *Planner) newSession(ctx context.Context, releaseNS string, objs []manifest.Object) (*session, error) {
	s := &session{c: p, newNamespaces: map[string]bool{}, bundleCRDs: map[schema.GroupKind]string{}, live: map[liveKey]*unstructured.Unstructured{}}
	if releaseNS != "" {
		s.newNamespaces[releaseNS] = true
	}
	s.dyn = p.Clients.Unthrottled()
	var us []*unstructured.Unstructured
	for _, o := range objs {
		us = append(us, o.Obj)
		gvk := o.GVK()
		switch {
		case gvk.Group == "" && gvk.Kind == "Namespace":
			s.newNamespaces[o.Obj.GetName()] = true
		case gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition":
			g, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "group")
			k, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "names", "kind")
			s.bundleCRDs[schema.GroupKind{Group: g, Kind: k}] = o.Obj.GetName()
		}
	}
	s.secrets = SecretValues(us...)
	nsClient := p.Clients.Typed.CoreV1().Namespaces()
	for ns := range s.newNamespaces {
		_, err := nsClient.Get(ctx, ns, metav1.GetOptions{})
		switch {
		case err == nil:
			delete(s.newNamespaces, ns) // exists: a normal dry-run works
		case !apierrors.IsNotFound(err):
			return nil, accessErr(manifest.Ref{Kind: "Namespace", Name: ns}, manifest.Location{}, err)
		}
	}
	s.standIn = "default"
	if len(s.newNamespaces) > 0 {
		s.standIn = s.pickStandIn(ctx, objs)
	}
	return s, nil
}

// pickStandIn returns an existing namespace the bundle uses (the first of
// up to three candidates that exists), so stand-in dry-runs run where the
// credentials are known to have rights; "default" when none does.
func (s *session) pickStandIn(ctx context.Context, objs []manifest.Object) string {
	tried := map[string]bool{}
	for _, o := range objs {
		ns := o.Obj.GetNamespace()
		if ns == "" || s.newNamespaces[ns] || tried[ns] {
			continue
		}
		if len(tried) == 3 {
			break
		}
		tried[ns] = true
		if _, err := s.c.Clients.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err == nil {
			return ns
		}
	}
	return "default"
}

// observe dry-runs one object and compares the result with the live object.
func (s *session) observe(ctx context.Context, o manifest.Object) (observed, error) {
	ob := observed{obj: o, change: Change{Ref: o.Ref(), Source: o.Source, APIVersion: o.Obj.GetAPIVersion(),
		DryRun: DryRun{Mode: DryRunServer}}}
	m, err := s.mapping(o.Obj)
	if err != nil {
		if !meta.IsNoMatchError(err) {
			return ob, accessErr(o.Ref(), o.Source, err)
		}
		return s.unmapped(ctx, ob)
	}
	if s.newNamespaces[o.Obj.GetNamespace()] && m.Scope.Name() == meta.RESTScopeNameNamespace {
		return s.standInDryRun(ctx, ob, m)
	}
	live, err := s.get(ctx, m, o.Obj)
	if err != nil {
		return ob, err
	}
	ob.live = live
	ob.change.LiveDigest = LiveDigestOf(live)
	result, err := s.dryRunApply(ctx, m, o.Obj, s.c.ForceConflicts)
	if err != nil && apierrors.IsConflict(err) && !s.c.ForceConflicts {
		if !s.c.UpgradesClientSide || !ownClientSide(err, s.c.fieldManager()) {
			ob.change.Conflict = Scrub(err.Error(), s.secrets)
		}
		result, err = s.dryRunApply(ctx, m, o.Obj, true)
	}
	if err != nil {
		if isAccess(err) {
			return ob, accessErr(o.Ref(), o.Source, err)
		}
		ob.change.DryRunError = Scrub(err.Error(), s.secrets)
		ob.change.DryRunFields = causeFields(err)
		ob.immutable = mergePaths(immutableFromError(err), immutableFromManifest(o.Obj, live))
	}
	ob.result = result
	ob.change.Action, ob.change.Diff = classify(live, result)
	return ob, nil
}

// classify derives the action and field diff from the live object and the
// dry-run result.
func classify(live, result *unstructured.Unstructured) (Action, []FieldDiff) {
	switch {
	case live == nil:
		return ActionCreate, nil
	case result == nil:
		return ActionUpdate, nil // the dry-run failed: the update cannot be shown
	}
	d := Diff(live, result)
	if len(d) == 0 {
		return ActionUnchanged, nil
	}
	return ActionUpdate, d
}

// unmapped handles an object whose kind/version the cluster does not serve.
func (s *session) unmapped(ctx context.Context, ob observed) (observed, error) {
	gvk := ob.obj.GVK()
	ob.change.Action = ActionCreate
	if crd, ok := s.bundleCRDs[gvk.GroupKind()]; ok {
		ob.change.DryRun = DryRun{Mode: DryRunDeferred, Note: fmt.Sprintf(
			"dry-run deferred: CustomResourceDefinition %s is created by this release, so the server cannot accept %s yet; checked against that CRD's schema instead", crd, gvk.Kind)}
		return ob, nil
	}
	ob.change.DryRun = DryRun{Mode: DryRunNotServed}
	ob.change.DryRunError = fmt.Sprintf("the cluster does not serve %s %s, and no CustomResourceDefinition in this release defines it", ob.obj.Obj.GetAPIVersion(), gvk.Kind)
	// Does the object exist under another version of its kind?
	if m, err := s.c.Clients.Mapper.RESTMapping(gvk.GroupKind()); err == nil {
		live, err := s.get(ctx, m, ob.obj.Obj)
		if err != nil {
			return ob, err
		}
		ob.live = live
		if live != nil {
			ob.change.Action = ActionUpdate
		}
		ob.change.DryRunError = fmt.Sprintf("the cluster does not serve %s %s; it serves %s", ob.obj.Obj.GetAPIVersion(), gvk.Kind, m.GroupVersionKind.GroupVersion())
	}
	return ob, nil
}

// get reads the live object; nil when it does not exist.
func (s *session) get(ctx context.Context, m *meta.RESTMapping, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if live, ok := s.prefetched(m, u); ok {
		return live, nil
	}
	live, err := s.resource(m, u.GetNamespace()).Get(ctx, u.GetName(), metav1.GetOptions{})
	switch {
	case err == nil:
		return live, nil
	case apierrors.IsNotFound(err):
		return nil, nil
	}
	return nil, accessErr(manifest.RefOf(u), manifest.Location{}, err)
}

// dryRunApply sends the object as a server-side apply with dryRun=All,
// exactly as the deploy will apply it.
func (s *session) dryRunApply(ctx context.Context, m *meta.RESTMapping, u *unstructured.Unstructured, force bool) (*unstructured.Unstructured, error) {
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return s.resource(m, u.GetNamespace()).Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
		DryRun: []string{metav1.DryRunAll}, Force: &force, FieldManager: s.c.fieldManager(), FieldValidation: "Strict"})
}

func (s *session) resource(m *meta.RESTMapping, ns string) dynamic.ResourceInterface {
	r := s.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return r.Namespace(ns)
	}
	return r
}

// ownClientSide reports whether every conflict of the apply conflict err
// is with fields manager owns through client-side updates of the object
// itself (`conflict with "helm" using v1`: an Update, no subresource), the
// ones a writer that upgrades its client-side field manager
// (Planner.UpgradesClientSide) takes over before it applies.
func ownClientSide(err error, manager string) bool {
	var st apierrors.APIStatus
	if !errors.As(err, &st) || st.Status().Details == nil || len(st.Status().Details.Causes) == 0 {
		return false
	}
	prefix := fmt.Sprintf("conflict with %q using ", manager)
	for _, c := range st.Status().Details.Causes {
		if c.Type != metav1.CauseTypeFieldManagerConflict || !strings.HasPrefix(c.Message, prefix) {
			return false
		}
	}
	return true
}

// isAccess reports errors that mean the credentials cannot do the dry-run
// (as opposed to the server judging the object).
func isAccess(err error) bool {
	if apierrors.IsUnauthorized(err) {
		return true
	}
	if apierrors.IsForbidden(err) {
		msg := err.Error()
		return strings.Contains(msg, " cannot ") && strings.Contains(msg, "resource")
	}
	var st apierrors.APIStatus
	return !errors.As(err, &st) // no API answer: transport failure
}

func accessErr(ref manifest.Ref, src manifest.Location, err error) error {
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		err = fmt.Errorf("the credentials of the kubeconfig are not allowed to read or dry-run it: %w", err)
	}
	return &AccessError{Object: ref, Source: src, Err: err}
}
