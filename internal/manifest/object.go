// Package manifest loads a release's sources (plain YAML folders,
// kustomizations, Helm charts) into one set of objects, each remembering the
// file and line it came from, and sorts them into apply order.
package manifest

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Location is where an object was written: a file and the line its
// document starts on (0 when unknown, as for rendered Helm output).
type Location struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
}

func (l Location) String() string {
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return l.File
}

// Object is one rendered Kubernetes object and where it came from.
type Object struct {
	Obj    *unstructured.Unstructured
	Source Location
}

// Ref identifies an object in messages and maps.
type Ref struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// RefOf returns the Ref of an unstructured object.
func RefOf(u *unstructured.Unstructured) Ref {
	gvk := u.GroupVersionKind()
	return Ref{Group: gvk.Group, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
}

// Ref returns the object's Ref.
func (o Object) Ref() Ref { return RefOf(o.Obj) }

// GVK returns the object's group, version and kind.
func (o Object) GVK() schema.GroupVersionKind { return o.Obj.GroupVersionKind() }

// String names the object the way kship's messages do: "Deployment shop/web".
func (r Ref) String() string {
	if r.Namespace == "" {
		return fmt.Sprintf("%s %s", r.Kind, r.Name)
	}
	return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name)
}
