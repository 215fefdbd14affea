package manifest

import (
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Scope answers whether a kind lives in a namespace. It asks, in order: a
// built-in table of Kubernetes kinds, the CustomResourceDefinitions of the
// bundle (their spec.scope), and the cluster's REST mapper when there is one
// (each kind once). It is safe for concurrent use.
type Scope struct {
	mapper meta.RESTMapper
	crds   map[schema.GroupKind]bool
	mu     sync.Mutex
	asked  map[schema.GroupKind]scopeAnswer // the mapper's answers, so each kind is asked once
}

type scopeAnswer struct{ namespaced, known bool }

// NewScope builds a Scope for a bundle; mapper may be nil (offline).
func NewScope(mapper meta.RESTMapper, bundle []Object) *Scope {
	s := &Scope{mapper: mapper, crds: map[schema.GroupKind]bool{}, asked: map[schema.GroupKind]scopeAnswer{}}
	for _, o := range bundle {
		if o.Obj.GroupVersionKind().GroupKind() != crdKind {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "scope")
		if kind != "" {
			s.crds[schema.GroupKind{Group: group, Kind: kind}] = scope != "Cluster"
		}
	}
	return s
}

var crdKind = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}

// IsNamespaced reports whether objects of gvk live in a namespace, and
// whether the kind is known at all. An unknown kind (not built in, not
// defined by a CRD of the bundle, not served by the cluster) is reported as
// namespaced, as most custom resources are, with known = false.
func (s *Scope) IsNamespaced(gvk schema.GroupVersionKind) (namespaced, known bool) {
	gk := gvk.GroupKind()
	if ns, ok := builtinScope[gk]; ok {
		return ns, true
	}
	if ns, ok := s.crds[gk]; ok {
		return ns, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.asked[gk]; ok {
		return a.namespaced, a.known
	}
	a := scopeAnswer{namespaced: true}
	if s.mapper != nil {
		if m, err := s.mapper.RESTMapping(gk, gvk.Version); err == nil {
			a = scopeAnswer{namespaced: m.Scope.Name() == meta.RESTScopeNameNamespace, known: true}
		}
	}
	s.asked[gk] = a
	return a.namespaced, a.known
}

// IsNamespaced is NewScope(mapper, bundle).IsNamespaced(gvk) for a single
// question; build a Scope once when asking for many objects.
func IsNamespaced(gvk schema.GroupVersionKind, mapper meta.RESTMapper, bundle []Object) (namespaced, known bool) {
	return NewScope(mapper, bundle).IsNamespaced(gvk)
}

// builtinScope maps the kinds Kubernetes serves to whether they are
// namespaced, so offline loading needs no cluster.
var builtinScope = map[schema.GroupKind]bool{}

func init() {
	cluster := map[string][]string{
		"":                             {"Namespace", "Node", "PersistentVolume", "ComponentStatus"},
		"rbac.authorization.k8s.io":    {"ClusterRole", "ClusterRoleBinding"},
		"apiextensions.k8s.io":         {"CustomResourceDefinition"},
		"apiregistration.k8s.io":       {"APIService"},
		"admissionregistration.k8s.io": {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"},
		"storage.k8s.io":               {"StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass"},
		"scheduling.k8s.io":            {"PriorityClass"},
		"networking.k8s.io":            {"IngressClass", "IPAddress", "ServiceCIDR"},
		"node.k8s.io":                  {"RuntimeClass"},
		"certificates.k8s.io":          {"CertificateSigningRequest", "ClusterTrustBundle"},
		"flowcontrol.apiserver.k8s.io": {"FlowSchema", "PriorityLevelConfiguration"},
		"authentication.k8s.io":        {"TokenReview", "SelfSubjectReview"},
		"authorization.k8s.io":         {"SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"},
		"resource.k8s.io":              {"DeviceClass", "ResourceSlice"},
		"storagemigration.k8s.io":      {"StorageVersionMigration"},
		"internal.apiserver.k8s.io":    {"StorageVersion"},
		"policy":                       {"PodSecurityPolicy"},
	}
	namespaced := map[string][]string{
		"":                          {"Pod", "Service", "ConfigMap", "Secret", "ServiceAccount", "PersistentVolumeClaim", "Endpoints", "Event", "LimitRange", "ResourceQuota", "ReplicationController", "PodTemplate", "Binding"},
		"apps":                      {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"},
		"batch":                     {"Job", "CronJob"},
		"autoscaling":               {"HorizontalPodAutoscaler"},
		"policy":                    {"PodDisruptionBudget"},
		"networking.k8s.io":         {"Ingress", "NetworkPolicy"},
		"rbac.authorization.k8s.io": {"Role", "RoleBinding"},
		"coordination.k8s.io":       {"Lease", "LeaseCandidate"},
		"discovery.k8s.io":          {"EndpointSlice"},
		"events.k8s.io":             {"Event"},
		"storage.k8s.io":            {"CSIStorageCapacity"},
		"resource.k8s.io":           {"ResourceClaim", "ResourceClaimTemplate"},
		"authorization.k8s.io":      {"LocalSubjectAccessReview"},
		"extensions":                {"Deployment", "DaemonSet", "ReplicaSet", "Ingress", "NetworkPolicy"},
	}
	for group, kinds := range cluster {
		for _, k := range kinds {
			builtinScope[schema.GroupKind{Group: group, Kind: k}] = false
		}
	}
	for group, kinds := range namespaced {
		for _, k := range kinds {
			builtinScope[schema.GroupKind{Group: group, Kind: k}] = true
		}
	}
}
