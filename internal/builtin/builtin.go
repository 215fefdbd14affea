// Package builtin describes the kinds built into the Kubernetes API server
// kship targets: which it serves, as which resource, in which scope, with
// which verbs (so whether kship can apply them), their Go types (the strict
// schemas) and their API lifecycle (introduced, deprecated, removed,
// replacement). The table is generated (go generate) from the API server's
// own data — the discovery documents of k8s.io/kubernetes and the
// prerelease lifecycle compiled into k8s.io/api — at the release kship
// builds against; a test fails when k8s.io/api is upgraded and the table
// is not regenerated.
package builtin

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kship/kship/internal/builtin/internal/apis"
)

//go:generate go run ./internal/gen -o zz_generated.kinds.go

// Version is a Kubernetes minor release ({1, 37}); the zero value is "none".
type Version = apis.Version

// Lifecycle is an API version's prerelease lifecycle, as k8s.io/api
// records it: zero fields are not set (GA types have no deprecation).
type Lifecycle = apis.Lifecycle

// Scope is where objects of a kind live.
type Scope int

// Scopes; Unknown for kinds no served version defines.
const (
	Unknown Scope = iota
	Namespaced
	Cluster
)

// Kind is one kind at one API version.
type Kind struct {
	GVK schema.GroupVersionKind
	// Served: the API server of ServerRelease serves it (with every API
	// enabled; alpha and some beta versions are off by default).
	Served bool
	// Resource is the REST resource serving it ("deployments"), or the
	// subresource ("pods/eviction") when Subresource is set.
	Resource string
	// Subresource: the kind is only the body of a subresource request.
	Subresource bool
	// Verbs are the verbs of the resource.
	Verbs []string
	Scope Scope
	// Lifecycle is zero when k8s.io/api records none for the type.
	Lifecycle Lifecycle
	// Advice is what to use instead when no kind replaces this one.
	Advice string
}

// Replacement says what to use instead of a kind that is deprecated or no
// longer served: its lifecycle's replacement, else the served version of
// the same kind (the stable one first), else the advice; "" when none.
func (k *Kind) Replacement() string {
	if r := k.Lifecycle.Replacement; !r.Empty() {
		if r.GroupKind() == k.GVK.GroupKind() {
			return r.GroupVersion().String()
		}
		return r.GroupVersion().String() + " " + r.Kind
	}
	if v := servedVersion(k.GVK.GroupKind()); v != "" && v != k.GVK.Version {
		return schema.GroupVersion{Group: k.GVK.Group, Version: v}.String()
	}
	return k.Advice
}

// servedVersion is the version of a group and kind the API server prefers
// among those it serves (stable before beta before alpha, newest first).
func servedVersion(gk schema.GroupKind) string {
	load()
	var versions []string
	for gvk, k := range byGVK {
		if gvk.GroupKind() == gk && k.Served {
			versions = append(versions, gvk.Version)
		}
	}
	sort.Slice(versions, func(i, j int) bool {
		return version.CompareKubeAwareVersionStrings(versions[i], versions[j]) > 0
	})
	if len(versions) == 0 {
		return ""
	}
	return versions[0]
}

// Applicable reports whether kship can apply objects of the kind: a served
// resource of its own that accepts create and patch (server-side apply).
func (k *Kind) Applicable() bool {
	return k.Served && !k.Subresource && has(k.Verbs, "create") && has(k.Verbs, "patch")
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// NotApplicable says why objects of a kind the table knows cannot be
// applied, or "" when they can (or the kind is not served: the API-version
// check says so).
func (k *Kind) NotApplicable() string {
	switch {
	case !k.Served || k.Applicable():
		return ""
	case k.Subresource:
		return fmt.Sprintf("%s %s is the body of a request to the %s subresource, not an object one applies", k.GVK.GroupVersion(), k.GVK.Kind, k.Resource)
	case has(k.Verbs, "create") && !has(k.Verbs, "get"):
		return fmt.Sprintf("%s %s is a request the API server answers (%s accepts only %s), not an object one applies", k.GVK.GroupVersion(), k.GVK.Kind, k.Resource, strings.Join(k.Verbs, ", "))
	default:
		return fmt.Sprintf("%s %s cannot be applied: the API server's %s accepts only %s", k.GVK.GroupVersion(), k.GVK.Kind, k.Resource, strings.Join(k.Verbs, ", "))
	}
}

var (
	once      sync.Once
	byGVK     map[schema.GroupVersionKind]*Kind
	scopes    map[schema.GroupKind]Scope
	types     map[schema.GroupVersionKind]reflect.Type
	allTypes  map[schema.GroupVersionKind]reflect.Type
	notServed map[schema.GroupVersionKind]bool
)

func load() {
	once.Do(func() {
		byGVK = make(map[schema.GroupVersionKind]*Kind, len(kinds)+len(gone))
		scopes = map[schema.GroupKind]Scope{}
		for _, list := range [][]Kind{kinds, gone} {
			for i := range list {
				k := &list[i]
				byGVK[k.GVK] = k
				if k.Scope != Unknown {
					scopes[k.GVK.GroupKind()] = k.Scope
				}
			}
		}
		s := apis.Served()
		types = apis.Objects(s)
		allTypes = s.AllKnownTypes()
		notServed = map[schema.GroupVersionKind]bool{}
		for gvk := range apis.NotServed().AllKnownTypes() {
			notServed[gvk] = true
		}
	})
}

// Lookup returns what the table knows of a group, version and kind.
func Lookup(gvk schema.GroupVersionKind) (*Kind, bool) {
	load()
	k, ok := byGVK[gvk]
	return k, ok
}

// ScopeOf returns the scope of a built-in group and kind (Unknown for
// kinds the API server does not define: custom resources).
func ScopeOf(gk schema.GroupKind) Scope {
	load()
	return scopes[gk]
}

// Type returns the Go type of a built-in object kind (its strict schema),
// or nil.
func Type(gvk schema.GroupVersionKind) reflect.Type {
	load()
	return types[gvk]
}

// SchemeTypes returns every Go type of the served groups (lists, options
// and other non-object types included), for tests of schema derivation.
func SchemeTypes() map[schema.GroupVersionKind]reflect.Type {
	load()
	return allTypes
}

// Kinds returns every kind the table knows, sorted by group, kind, version.
func Kinds() []*Kind {
	load()
	out := make([]*Kind, 0, len(byGVK))
	for _, k := range byGVK {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].GVK, out[j].GVK
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Version < b.Version
	})
	return out
}

// NotAnObject says why a kind that is no object of the API cannot be
// applied — a list, an options or status type of a served group, a
// configuration file or a webhook payload — or "" when it is not such a
// kind.
func NotAnObject(gvk schema.GroupVersionKind) string {
	load()
	gv := gvk.GroupVersion().String()
	if _, obj := types[gvk]; !obj {
		if _, known := allTypes[gvk]; known {
			if item := strings.TrimSuffix(gvk.Kind, "List"); item != gvk.Kind && types[gvk.GroupVersion().WithKind(item)] != nil {
				return fmt.Sprintf("%s %s is the list the API returns, not an object one applies: write each %s as its own document (or in a kind: List)", gv, gvk.Kind, item)
			}
			return fmt.Sprintf("%s %s is not an object of the API (it has no metadata.name to apply)", gv, gvk.Kind)
		}
	}
	if notServed[gvk] {
		what := foreignGroups[gvk.Group]
		if what == "" {
			what = "a type of Kubernetes that the API server does not serve"
		}
		return fmt.Sprintf("%s %s is %s, not an object of the API: kship applies objects the API server serves", gv, gvk.Kind, what)
	}
	return ""
}

// foreignGroups say what the kinds of each group of NotServed are.
var foreignGroups = map[string]string{
	"audit.k8s.io":            "kube-apiserver's audit policy file or an audit event it writes",
	"admission.k8s.io":        "the body of an admission webhook call",
	"imagepolicy.k8s.io":      "the body of an image-policy webhook call",
	"apidiscovery.k8s.io":     "a discovery document the API server returns",
	"apiserver.config.k8s.io": "a configuration file of kube-apiserver (--admission-control-config-file, --authentication-config, --encryption-provider-config, …)",
	"apiserver.k8s.io":        "a configuration file of kube-apiserver",
	"":                        "a configuration file of kube-apiserver",
}
