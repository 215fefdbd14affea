package manifest

import (
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Apply phases, in the order kship applies them: what others depend on
// comes first.
const (
	PhaseNamespace = iota // Namespaces
	PhaseCRD              // CustomResourceDefinitions
	PhaseRBAC             // ServiceAccounts, Roles, ClusterRoles and their bindings
	PhaseConfig           // ConfigMaps, Secrets, storage, quotas, priority classes
	PhaseJob              // Jobs (migrations run before the workloads change)
	PhaseService          // Services
	PhaseWorkload         // Deployments, StatefulSets, DaemonSets, CronJobs, Pods...
	PhaseOther            // everything else: Ingresses, HPAs, PDBs, custom resources, webhooks
)

var phases = map[schema.GroupKind]int{
	{Kind: "Namespace"}: PhaseNamespace,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: PhaseCRD,
	{Kind: "ServiceAccount"}:                                         PhaseRBAC,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:        PhaseRBAC,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: PhaseRBAC,
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:               PhaseRBAC,
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        PhaseRBAC,
	{Kind: "ConfigMap"}:                                 PhaseConfig,
	{Kind: "Secret"}:                                    PhaseConfig,
	{Kind: "PersistentVolume"}:                          PhaseConfig,
	{Kind: "PersistentVolumeClaim"}:                     PhaseConfig,
	{Kind: "LimitRange"}:                                PhaseConfig,
	{Kind: "ResourceQuota"}:                             PhaseConfig,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:     PhaseConfig,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}: PhaseConfig,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:  PhaseConfig,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:        PhaseConfig,
	{Group: "batch", Kind: "Job"}:                       PhaseJob,
	{Kind: "Service"}:                                   PhaseService,
	{Group: "apps", Kind: "Deployment"}:                 PhaseWorkload,
	{Group: "apps", Kind: "StatefulSet"}:                PhaseWorkload,
	{Group: "apps", Kind: "DaemonSet"}:                  PhaseWorkload,
	{Group: "apps", Kind: "ReplicaSet"}:                 PhaseWorkload,
	{Kind: "ReplicationController"}:                     PhaseWorkload,
	{Kind: "Pod"}:                                       PhaseWorkload,
	{Group: "batch", Kind: "CronJob"}:                   PhaseWorkload,
}

// Phase returns the apply phase of an object (Phase* constants).
func Phase(u *unstructured.Unstructured) int {
	if p, ok := phases[u.GroupVersionKind().GroupKind()]; ok {
		return p
	}
	return PhaseOther
}

// SortForApply returns the objects in apply order: by phase, and within a
// phase in their original order. The input is not changed.
func SortForApply(objs []Object) []Object {
	out := make([]Object, len(objs))
	copy(out, objs)
	p := make([]int, len(out))
	for i, o := range out {
		p[i] = Phase(o.Obj)
	}
	sort.Stable(byPhase{out, p})
	return out
}

type byPhase struct {
	objs   []Object
	phases []int
}

func (b byPhase) Len() int           { return len(b.objs) }
func (b byPhase) Less(i, j int) bool { return b.phases[i] < b.phases[j] }
func (b byPhase) Swap(i, j int) {
	b.objs[i], b.objs[j] = b.objs[j], b.objs[i]
	b.phases[i], b.phases[j] = b.phases[j], b.phases[i]
}
