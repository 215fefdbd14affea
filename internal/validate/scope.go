package validate

// clusterScopedKinds are the built-in kinds that live outside namespaces,
// by group and kind; every other kind is taken as namespaced unless the
// bundle's CRD says otherwise.
var clusterScopedKinds = map[[2]string]bool{
	{"", "Namespace"}: true, {"", "Node"}: true, {"", "PersistentVolume"}: true, {"", "ComponentStatus"}: true,
	{"rbac.authorization.k8s.io", "ClusterRole"}: true, {"rbac.authorization.k8s.io", "ClusterRoleBinding"}: true,
	{"apiextensions.k8s.io", "CustomResourceDefinition"}: true, {"apiregistration.k8s.io", "APIService"}: true,
	{"storage.k8s.io", "StorageClass"}: true, {"storage.k8s.io", "CSIDriver"}: true, {"storage.k8s.io", "CSINode"}: true,
	{"storage.k8s.io", "VolumeAttachment"}: true, {"scheduling.k8s.io", "PriorityClass"}: true,
	{"networking.k8s.io", "IngressClass"}: true, {"node.k8s.io", "RuntimeClass"}: true,
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"}:     true,
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"}:   true,
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"}:        true,
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"}: true,
	{"certificates.k8s.io", "CertificateSigningRequest"}:                 true, {"certificates.k8s.io", "ClusterTrustBundle"}: true,
	{"flowcontrol.apiserver.k8s.io", "FlowSchema"}: true, {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"}: true,
	{"policy", "PodSecurityPolicy"}: true, {"extensions", "PodSecurityPolicy"}: true,
	{"resource.k8s.io", "DeviceClass"}: true, {"resource.k8s.io", "ResourceSlice"}: true,
}

// clusterScoped reports whether a kind is cluster-scoped.
func clusterScoped(group, kind string) bool { return clusterScopedKinds[[2]string{group, kind}] }
