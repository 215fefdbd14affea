package record

import (
	"context"
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
)

// Ref names a release: its namespace and name.
type Ref struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// FindReleases lists the releases that have revision Secrets in namespace
// ns ("" for every namespace), only those named name unless name is "",
// sorted by namespace and name. It reads the Secrets' metadata (their
// labels) only, never their data, so it is cheap for shell completion and
// needs only list permission. Release names come from the
// kship.dev/release label.
func FindReleases(ctx context.Context, m metadata.Interface, ns, name string) ([]Ref, error) {
	sel := fmt.Sprintf("%s=%s", LabelManagedBy, ManagedBy)
	if name != "" {
		sel += fmt.Sprintf(",%s=%s", LabelRelease, name)
	} else {
		sel += "," + LabelRelease
	}
	secrets := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	list, err := m.Resource(secrets).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list revision Secrets: %w", err)
	}
	seen := map[Ref]bool{}
	var refs []Ref
	for _, item := range list.Items {
		r := Ref{Namespace: item.Namespace, Name: item.Labels[LabelRelease]}
		if _, isRevision := item.Labels[LabelRevision]; !isRevision || seen[r] {
			continue
		}
		seen[r] = true
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].Namespace != refs[j].Namespace {
			return refs[i].Namespace < refs[j].Namespace
		}
		return refs[i].Name < refs[j].Name
	})
	return refs, nil
}
