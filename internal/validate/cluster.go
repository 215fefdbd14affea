package validate

import (
	"context"
	"fmt"
	"sort"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/kube"
)

// inventory is what Run read from the live cluster: one LIST per kind and
// namespace, made on first need and kept. Of Secrets it keeps the data
// keys only, never the values.
type inventory struct {
	c       *kube.Clients
	objects map[nsKind]*listing
	pdbs    map[string]*pdbListing
	crds    map[schema.GroupKind]*crdInfo
	crdErr  error
	crdRead bool
}

type nsKind struct{ ns, kind string }

// listing is the names (and data keys) of one kind in one namespace.
type listing struct {
	keys map[string]map[string]bool // object name -> data keys
	err  error
}

type pdbListing struct {
	selectors []labels.Selector
	names     []string
	err       error
}

func newInventory(c *kube.Clients) *inventory {
	return &inventory{c: c, objects: map[nsKind]*listing{}, pdbs: map[string]*pdbListing{}}
}

// lookup returns whether the cluster has the object and its data keys.
func (inv *inventory) lookup(ctx context.Context, kind, ns, name string) (bool, map[string]bool, error) {
	k := nsKind{ns, kind}
	l, ok := inv.objects[k]
	if !ok {
		l = inv.list(ctx, kind, ns)
		inv.objects[k] = l
	}
	if l.err != nil {
		return false, nil, l.err
	}
	keys, found := l.keys[name]
	return found, keys, nil
}

// list reads the names (and keys) of a kind in a namespace.
func (inv *inventory) list(ctx context.Context, kind, ns string) *listing {
	core := inv.c.Typed.CoreV1()
	l := &listing{keys: map[string]map[string]bool{}}
	opts := metav1.ListOptions{}
	switch kind {
	case kindSecret:
		list, err := core.Secrets(ns).List(ctx, opts)
		l.err = listErr(err, "Secrets", ns)
		if err == nil {
			for i := range list.Items {
				l.keys[list.Items[i].Name] = keySet(list.Items[i].Data, nil)
				list.Items[i].Data = nil // values are never kept
			}
		}
	case kindConfigMap:
		list, err := core.ConfigMaps(ns).List(ctx, opts)
		l.err = listErr(err, "ConfigMaps", ns)
		if err == nil {
			for _, cm := range list.Items {
				l.keys[cm.Name] = keySet(cm.BinaryData, cm.Data)
			}
		}
	case kindServiceAccount:
		list, err := core.ServiceAccounts(ns).List(ctx, opts)
		l.err = listErr(err, "ServiceAccounts", ns)
		if err == nil {
			for _, sa := range list.Items {
				l.keys[sa.Name] = nil
			}
		}
	case kindPVC:
		list, err := core.PersistentVolumeClaims(ns).List(ctx, opts)
		l.err = listErr(err, "PersistentVolumeClaims", ns)
		if err == nil {
			for _, pvc := range list.Items {
				l.keys[pvc.Name] = nil
			}
		}
	}
	return l
}

func listErr(err error, what, ns string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("list %s in namespace %s: %w", what, ns, err)
}

func keySet(b map[string][]byte, s map[string]string) map[string]bool {
	out := make(map[string]bool, len(b)+len(s))
	for k := range b {
		out[k] = true
	}
	for k := range s {
		out[k] = true
	}
	return out
}

// pdbSelectors returns the selectors of the live PodDisruptionBudgets of a
// namespace.
func (inv *inventory) pdbSelectors(ctx context.Context, ns string) *pdbListing {
	if l, ok := inv.pdbs[ns]; ok {
		return l
	}
	l := &pdbListing{}
	list, err := inv.c.Typed.PolicyV1().PodDisruptionBudgets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		l.err = listErr(err, "PodDisruptionBudgets", ns)
	} else {
		for _, p := range list.Items {
			sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
			if err == nil && p.Spec.Selector != nil {
				l.selectors = append(l.selectors, sel)
				l.names = append(l.names, p.Name)
			}
		}
	}
	inv.pdbs[ns] = l
	return l
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// crd returns the cluster's CRD of a group and kind (one LIST for all).
func (inv *inventory) crd(ctx context.Context, gk schema.GroupKind) *crdInfo {
	if !inv.crdRead {
		inv.crdRead = true
		inv.crds = map[schema.GroupKind]*crdInfo{}
		list, err := inv.c.Dynamic.Resource(crdResource).List(ctx, metav1.ListOptions{})
		if err != nil {
			inv.crdErr = fmt.Errorf("list CustomResourceDefinitions: %w", err)
			return nil
		}
		for _, item := range list.Items {
			crd := &apiextv1.CustomResourceDefinition{}
			if runtime.DefaultUnstructuredConverter.FromUnstructured(item.Object, crd) != nil {
				continue
			}
			inv.crds[schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}] =
				&crdInfo{crd: crd, from: "the cluster", versions: map[string]*crdVersion{}}
		}
	}
	return inv.crds[gk]
}

// serves reports whether the cluster's discovery knows the kind (for
// kinds of aggregated APIs, which have no CRD).
func (inv *inventory) serves(gvk schema.GroupVersionKind) bool {
	if inv.c.Mapper == nil {
		return false
	}
	_, err := inv.c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	return err == nil
}

// sortedKeys lists a key set in order, for messages.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
