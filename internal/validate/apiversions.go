package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// apiFact is a fact of the Kubernetes deprecation policy: an API version of
// a kind, the release that deprecated it, the release that stopped serving
// it (zero when still served) and what to use instead.
type apiFact struct {
	deprecated  kubeVersion
	removed     kubeVersion
	replacement string
}

// apiFacts are the removed and deprecated API versions of built-in kinds
// (from the Kubernetes deprecated API migration guide), keyed by
// group/version/kind.
var apiFacts = map[schema.GroupVersionKind]apiFact{}

func init() {
	type entry struct {
		gv          string
		kinds       []string
		dep, rem    string
		replacement string
	}
	for _, e := range []entry{
		{"extensions/v1beta1", []string{"Deployment", "DaemonSet", "ReplicaSet"}, "1.9", "1.16", "apps/v1"},
		{"extensions/v1beta1", []string{"NetworkPolicy"}, "1.9", "1.16", "networking.k8s.io/v1"},
		{"extensions/v1beta1", []string{"PodSecurityPolicy"}, "1.11", "1.16", "Pod Security Admission (PodSecurityPolicy was removed in 1.25)"},
		{"extensions/v1beta1", []string{"Ingress"}, "1.14", "1.22", "networking.k8s.io/v1"},
		{"apps/v1beta1", []string{"Deployment", "StatefulSet", "ControllerRevision"}, "1.9", "1.16", "apps/v1"},
		{"apps/v1beta2", []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"}, "1.9", "1.16", "apps/v1"},
		{"networking.k8s.io/v1beta1", []string{"Ingress", "IngressClass"}, "1.19", "1.22", "networking.k8s.io/v1"},
		{"rbac.authorization.k8s.io/v1beta1", []string{"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}, "1.17", "1.22", "rbac.authorization.k8s.io/v1"},
		{"rbac.authorization.k8s.io/v1alpha1", []string{"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}, "1.17", "1.22", "rbac.authorization.k8s.io/v1"},
		{"admissionregistration.k8s.io/v1beta1", []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}, "1.16", "1.22", "admissionregistration.k8s.io/v1"},
		{"apiextensions.k8s.io/v1beta1", []string{"CustomResourceDefinition"}, "1.16", "1.22", "apiextensions.k8s.io/v1"},
		{"apiregistration.k8s.io/v1beta1", []string{"APIService"}, "1.19", "1.22", "apiregistration.k8s.io/v1"},
		{"authentication.k8s.io/v1beta1", []string{"TokenReview"}, "1.19", "1.22", "authentication.k8s.io/v1"},
		{"authorization.k8s.io/v1beta1", []string{"SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"}, "1.19", "1.22", "authorization.k8s.io/v1"},
		{"certificates.k8s.io/v1beta1", []string{"CertificateSigningRequest"}, "1.19", "1.22", "certificates.k8s.io/v1"},
		{"coordination.k8s.io/v1beta1", []string{"Lease"}, "1.19", "1.22", "coordination.k8s.io/v1"},
		{"scheduling.k8s.io/v1beta1", []string{"PriorityClass"}, "1.14", "1.22", "scheduling.k8s.io/v1"},
		{"storage.k8s.io/v1beta1", []string{"StorageClass", "VolumeAttachment", "CSIDriver", "CSINode"}, "1.19", "1.22", "storage.k8s.io/v1"},
		{"batch/v1beta1", []string{"CronJob"}, "1.21", "1.25", "batch/v1"},
		{"batch/v2alpha1", []string{"CronJob"}, "1.8", "1.21", "batch/v1"},
		{"discovery.k8s.io/v1beta1", []string{"EndpointSlice"}, "1.21", "1.25", "discovery.k8s.io/v1"},
		{"events.k8s.io/v1beta1", []string{"Event"}, "1.19", "1.25", "events.k8s.io/v1"},
		{"autoscaling/v2beta1", []string{"HorizontalPodAutoscaler"}, "1.22", "1.25", "autoscaling/v2"},
		{"autoscaling/v2beta2", []string{"HorizontalPodAutoscaler"}, "1.23", "1.26", "autoscaling/v2"},
		{"policy/v1beta1", []string{"PodDisruptionBudget"}, "1.21", "1.25", "policy/v1"},
		{"policy/v1beta1", []string{"PodSecurityPolicy"}, "1.21", "1.25", "Pod Security Admission (pod-security.kubernetes.io labels on the Namespace)"},
		{"node.k8s.io/v1beta1", []string{"RuntimeClass"}, "1.20", "1.25", "node.k8s.io/v1"},
		{"flowcontrol.apiserver.k8s.io/v1beta1", []string{"FlowSchema", "PriorityLevelConfiguration"}, "1.23", "1.26", "flowcontrol.apiserver.k8s.io/v1"},
		{"flowcontrol.apiserver.k8s.io/v1beta2", []string{"FlowSchema", "PriorityLevelConfiguration"}, "1.26", "1.29", "flowcontrol.apiserver.k8s.io/v1"},
		{"flowcontrol.apiserver.k8s.io/v1beta3", []string{"FlowSchema", "PriorityLevelConfiguration"}, "1.29", "1.32", "flowcontrol.apiserver.k8s.io/v1"},
		{"storage.k8s.io/v1beta1", []string{"CSIStorageCapacity"}, "1.24", "1.27", "storage.k8s.io/v1"},
		{"v1", []string{"Endpoints"}, "1.33", "", "discovery.k8s.io/v1 EndpointSlice"},
	} {
		gv, err := schema.ParseGroupVersion(e.gv)
		if err != nil {
			panic(err)
		}
		for _, k := range e.kinds {
			apiFacts[gv.WithKind(k)] = apiFact{deprecated: mustVersion(e.dep), removed: mustVersion(e.rem), replacement: e.replacement}
		}
	}
}

// lookupAPIFact returns the deprecation fact of a group/version/kind.
func lookupAPIFact(gvk schema.GroupVersionKind) (apiFact, bool) {
	f, ok := apiFacts[gvk]
	return f, ok
}

// checkAPIVersions fails objects whose API version the target version no
// longer serves and warns about deprecated ones, each with its replacement.
func (r *run) checkAPIVersions() {
	start := len(r.report.Checks)
	for i := range r.objs {
		o := &r.objs[i]
		gvk := o.gvk
		f, ok := lookupAPIFact(gvk)
		if !ok {
			continue
		}
		gv := gvk.GroupVersion().String()
		switch {
		case r.version.atLeast(f.removed):
			r.add(IDAPIVersion, Fail, o, keys("apiVersion"), r.versionNote,
				"%s %s was removed in Kubernetes %s (target %s): use %s", gv, gvk.Kind, f.removed, r.version, f.replacement)
		case r.version.atLeast(f.deprecated):
			r.add(IDAPIVersion, Warn, o, keys("apiVersion"), r.versionNote,
				"%s %s is deprecated since Kubernetes %s%s: use %s", gv, gvk.Kind, f.deprecated, removalNote(f), f.replacement)
		}
	}
	r.summarize(IDAPIVersion, start, "%s checked against the APIs removed or deprecated by Kubernetes %s (%s)",
		plural(len(r.objs), "object"), r.version, r.versionNote)
}

func removalNote(f apiFact) string {
	if f.removed.isZero() {
		return ""
	}
	return fmt.Sprintf(" and removed in %s", f.removed)
}
