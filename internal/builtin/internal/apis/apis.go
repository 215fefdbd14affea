// Package apis is what both package builtin and its generator read from
// the Kubernetes API types: the schemes of the kinds the API server serves
// and of the kinds that are not served objects (configuration files and
// webhook payloads), and each type's prerelease lifecycle as k8s.io/api's
// prerelease-lifecycle-gen compiled it into the type.
package apis

import (
	"reflect"

	admissionv1 "k8s.io/api/admission/v1"
	admissionv1beta1 "k8s.io/api/admission/v1beta1"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	apidiscoveryv2beta1 "k8s.io/api/apidiscovery/v2beta1"
	imagepolicyv1alpha1 "k8s.io/api/imagepolicy/v1alpha1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	apiserverv1alpha1 "k8s.io/apiserver/pkg/apis/apiserver/v1alpha1"
	apiserverv1beta1 "k8s.io/apiserver/pkg/apis/apiserver/v1beta1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
	apiregv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregv1beta1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1beta1"
)

// Served is the scheme of the API server's own kinds: every group of
// k8s.io/api that client-go has clients for, apiextensions
// (CustomResourceDefinition) and kube-aggregator's apiregistration
// (APIService), the two groups kube-apiserver serves beyond k8s.io/api.
func Served() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientscheme.AddToScheme,
		apiextv1.AddToScheme, apiextv1beta1.AddToScheme,
		apiregv1.AddToScheme, apiregv1beta1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err) // the schemes are static: an error is a build defect
		}
	}
	return s
}

// NotServed is the scheme of Kubernetes kinds that are not objects of the
// API: kube-apiserver's configuration files (apiserver.config.k8s.io, the
// audit policy), audit events, the bodies of admission and image-policy
// webhook calls, and discovery documents.
func NotServed() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		auditv1.AddToScheme,
		admissionv1.AddToScheme, admissionv1beta1.AddToScheme,
		imagepolicyv1alpha1.AddToScheme,
		apidiscoveryv2.AddToScheme, apidiscoveryv2beta1.AddToScheme,
		apiserverv1.AddToScheme, apiserverv1alpha1.AddToScheme, apiserverv1beta1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

// Version is a Kubernetes minor release; the zero value is "none".
type Version struct{ Major, Minor int }

// Lifecycle is the prerelease lifecycle of one API type: the release that
// introduced it, deprecated it and stopped serving it, and what replaces it.
type Lifecycle struct {
	Introduced, Deprecated, Removed Version
	Replacement                     schema.GroupVersionKind
}

// The methods prerelease-lifecycle-gen writes on an API type.
type (
	introduced  interface{ APILifecycleIntroduced() (int, int) }
	deprecated  interface{ APILifecycleDeprecated() (int, int) }
	removed     interface{ APILifecycleRemoved() (int, int) }
	replacement interface {
		APILifecycleReplacement() schema.GroupVersionKind
	}
)

// LifecycleOf returns the lifecycle compiled into a Go API type, and false
// when the type has none (GA types of most groups).
func LifecycleOf(t reflect.Type) (Lifecycle, bool) {
	v := reflect.New(t).Interface()
	var l Lifecycle
	ok := false
	if x, is := v.(introduced); is {
		l.Introduced.Major, l.Introduced.Minor = x.APILifecycleIntroduced()
		ok = true
	}
	if x, is := v.(deprecated); is {
		l.Deprecated.Major, l.Deprecated.Minor = x.APILifecycleDeprecated()
		ok = true
	}
	if x, is := v.(removed); is {
		l.Removed.Major, l.Removed.Minor = x.APILifecycleRemoved()
		ok = true
	}
	if x, is := v.(replacement); is {
		l.Replacement = x.APILifecycleReplacement()
		ok = true
		// One tag names the list type (networking.k8s.io/v1beta1
		// IngressClass says IngressClassList): the kind is meant.
		if l.Replacement.Kind == t.Name()+"List" {
			l.Replacement.Kind = t.Name()
		}
	}
	return l, ok
}

var objectMeta = reflect.TypeOf(metav1.ObjectMeta{})

// IsObject reports whether a Go API type is an object (it embeds
// ObjectMeta), as opposed to a list, an options type or a status.
func IsObject(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	f, ok := t.FieldByName("ObjectMeta")
	return ok && f.Anonymous && f.Type == objectMeta
}

// Objects returns the object kinds of a scheme with their Go types
// (internal versions left out).
func Objects(s *runtime.Scheme) map[schema.GroupVersionKind]reflect.Type {
	out := map[schema.GroupVersionKind]reflect.Type{}
	for gvk, t := range s.AllKnownTypes() {
		if gvk.Version != runtime.APIVersionInternal && IsObject(t) {
			out[gvk] = t
		}
	}
	return out
}
