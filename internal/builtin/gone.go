package builtin

import "k8s.io/apimachinery/pkg/runtime/schema"

// gone are API versions whose types k8s.io/api deleted after the API
// server stopped serving them, so neither its lifecycle data nor the
// discovery documents know them; bundles written for old clusters still
// use them. These are settled history (the Kubernetes deprecated API
// migration guide) and never change; a test checks that k8s.io/api carries
// none of them (where it does, the generated table is the truth).
var gone = []Kind{
	{GVK: schema.GroupVersionKind{Group: "autoscaling", Version: "v2beta1", Kind: "HorizontalPodAutoscaler"}, Scope: Namespaced,
		Lifecycle: Lifecycle{Deprecated: Version{Major: 1, Minor: 22}, Removed: Version{Major: 1, Minor: 25}, Replacement: schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}}},
	{GVK: schema.GroupVersionKind{Group: "autoscaling", Version: "v2beta2", Kind: "HorizontalPodAutoscaler"}, Scope: Namespaced,
		Lifecycle: Lifecycle{Deprecated: Version{Major: 1, Minor: 23}, Removed: Version{Major: 1, Minor: 26}, Replacement: schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}}},
	{GVK: schema.GroupVersionKind{Group: "batch", Version: "v2alpha1", Kind: "CronJob"}, Scope: Namespaced,
		Lifecycle: Lifecycle{Deprecated: Version{Major: 1, Minor: 8}, Removed: Version{Major: 1, Minor: 21}, Replacement: schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}}},
	{GVK: schema.GroupVersionKind{Group: "extensions", Version: "v1beta1", Kind: "PodSecurityPolicy"}, Scope: Cluster,
		Lifecycle: Lifecycle{Deprecated: Version{Major: 1, Minor: 11}, Removed: Version{Major: 1, Minor: 16}}, Advice: podSecurityAdmission},
	{GVK: schema.GroupVersionKind{Group: "policy", Version: "v1beta1", Kind: "PodSecurityPolicy"}, Scope: Cluster,
		Lifecycle: Lifecycle{Deprecated: Version{Major: 1, Minor: 21}, Removed: Version{Major: 1, Minor: 25}}, Advice: podSecurityAdmission},
}

const podSecurityAdmission = "Pod Security Admission (pod-security.kubernetes.io labels on the Namespace)"
