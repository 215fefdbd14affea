package gitops

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/kship/kship/internal/config"
)

// Flux's resources, as its CRDs serve them.
var (
	KustomizationsResource  = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}
	GitRepositoriesResource = schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}
)

// flux is the engine flux: a Kustomization of Flux's kustomize-controller
// applies the path from a GitRepository of its source-controller.
type flux struct {
	dyn     dynamic.Interface
	ref     config.ObjectRef
	now     func() time.Time
	observe func(*Observation)
	// holds reports whether commit artifact (fetched by Flux after kship
	// pushed sha) holds kship's commit: sha itself, or a descendant whose
	// path is sha's.
	holds func(ctx context.Context, artifact, sha string) (bool, error)
}

func (f *flux) String() string { return "Flux Kustomization " + f.ref.String() }

// source is the GitRepository a Kustomization reads.
func source(k *unstructured.Unstructured) (kind string, ref config.ObjectRef) {
	kind = field(k, "spec", "sourceRef", "kind")
	ref = config.ObjectRef{Namespace: field(k, "spec", "sourceRef", "namespace"), Name: field(k, "spec", "sourceRef", "name")}
	if ref.Namespace == "" {
		ref.Namespace = k.GetNamespace()
	}
	return kind, ref
}

// Apply asks Flux to fetch and apply commit sha now and waits, watching,
// until the Kustomization has applied exactly that commit: first the
// GitRepository fetches it (a reconcile requested on it), then the
// Kustomization applies it (a reconcile requested on it too). Flux's own
// failure (a fetch error, BuildFailed, ReconciliationFailed,
// HealthCheckFailed, ...) is returned the moment Flux reports it, as a
// *FluxError with Flux's message. ctx bounds the wait.
func (f *flux) Apply(ctx context.Context, sha string) error {
	k, err := f.dyn.Resource(KustomizationsResource).Namespace(f.ref.Namespace).Get(ctx, f.ref.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("Flux Kustomization %s: %w", f.ref, err)
	}
	kind, src := source(k)
	if kind != "GitRepository" {
		return fmt.Errorf("Flux Kustomization %s reads a %s, not a GitRepository: kship commits to git", f.ref, kind)
	}
	artifact, err := f.fetched(ctx, src, sha)
	if err != nil {
		return err
	}
	token, err := f.request(ctx, KustomizationsResource, f.ref)
	if err != nil {
		return err
	}
	var seen observations
	last, err := watchObject(ctx, f.dyn, KustomizationsResource, f.ref.Namespace, f.ref.Name, func(u *unstructured.Unstructured) (bool, error) {
		seen.record(f.observe, observe("Kustomization", u, Revision{"lastAppliedRevision", field(u, "status", "lastAppliedRevision")},
			Revision{"lastAttemptedRevision", field(u, "status", "lastAttemptedRevision")}))
		st, err := kustomizationApplied(u, artifact, token)
		return st != kustWaiting, err
	})
	if err != nil {
		return waitError(ctx, err, "apply", sha, "Kustomization "+f.ref.String(), last)
	}
	return nil
}

// fetched requests a reconcile of the GitRepository and waits until its
// artifact holds sha; it returns the artifact's revision.
func (f *flux) fetched(ctx context.Context, src config.ObjectRef, sha string) (string, error) {
	token, err := f.request(ctx, GitRepositoriesResource, src)
	if err != nil {
		return "", err
	}
	var seen observations
	var artifact string
	last, err := watchObject(ctx, f.dyn, GitRepositoriesResource, src.Namespace, src.Name, func(u *unstructured.Unstructured) (bool, error) {
		seen.record(f.observe, observe("GitRepository", u, Revision{"artifact", field(u, "status", "artifact", "revision")}))
		done, a, err := sourceFetched(u, sha, token)
		if err != nil || !done {
			return false, err
		}
		if revisionSHA(a) != sha {
			ok, herr := f.holds(ctx, revisionSHA(a), sha)
			if herr != nil {
				return false, herr
			}
			if !ok {
				return false, &FluxError{Object: objectName("GitRepository", u), Reason: "BranchMoved", SHA: sha,
					Message: fmt.Sprintf("Flux fetched %s, which does not hold kship's commit at its path: the branch moved after kship pushed", a)}
			}
		}
		artifact = a
		return true, nil
	})
	if err != nil {
		return "", waitError(ctx, err, "fetch", sha, "GitRepository "+src.String(), last)
	}
	return artifact, nil
}

// request sets reconcile.fluxcd.io/requestedAt on a Flux object (what
// `flux reconcile` does) and returns the value.
func (f *flux) request(ctx context.Context, gvr schema.GroupVersionResource, ref config.ObjectRef) (string, error) {
	token := f.now().UTC().Format(time.RFC3339Nano)
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, requestedAtAnnotation, token)
	if _, err := f.dyn.Resource(gvr).Namespace(ref.Namespace).Patch(ctx, ref.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return "", fmt.Errorf("ask Flux to reconcile %s %s now: %w", gvr.Resource, ref, err)
	}
	return token, nil
}

// waitError turns the end of a wait that did not succeed into the error
// kship reports: the engine's own, or a timeout naming the object and the
// last state seen.
func waitError(ctx context.Context, err error, what, sha, object string, last *unstructured.Unstructured) error {
	if _, ok := err.(*FluxError); ok {
		return err
	}
	if _, ok := err.(*ArgoCDError); ok {
		return err
	}
	if ctx.Err() != nil {
		state := "nothing seen"
		if last != nil {
			state = observe(last.GetKind(), last).String()
		}
		return fmt.Errorf("%s did not %s commit %s within the rollout timeout (last seen: %s)", object, what, shortSHA(sha), state)
	}
	return fmt.Errorf("%s: %w", object, err)
}

// observations records an object's observations, each only when it
// differs from the one before.
type observations struct{ last string }

func (s *observations) record(emit func(*Observation), o *Observation) {
	if k := o.key(); k != s.last {
		s.last = k
		if emit != nil {
			emit(o)
		}
	}
}
