package rollout

import (
	"context"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/manifest"
)

// Pods are the running pods of the revision the cluster has now: what its
// gates judge. A strategy that judges part of a release (a canary
// Deployment) asks for the pods of that part only.
type Pods struct {
	// Hashes are the pod-template-hash labels of each Deployment's current
	// ReplicaSet (the one whose revision is the Deployment's), sorted.
	Hashes []string
	// Names are the pods ("name" in Namespace) of those ReplicaSets, of
	// each StatefulSet's update revision and of each DaemonSet, not
	// terminating, sorted.
	Names     []string
	Namespace string
}

// revisionAnnotation is the revision the Deployment controller stamps on a
// Deployment and on each of its ReplicaSets.
const revisionAnnotation = "deployment.kubernetes.io/revision"

// RevisionPods finds the current pods of the workloads among objs in
// namespace ns. A workload not found (not created yet) has no pods.
func RevisionPods(ctx context.Context, c kubernetes.Interface, ns string, objs []manifest.Object) (Pods, error) {
	out := Pods{Namespace: ns}
	names := map[string]bool{}
	for _, o := range objs {
		if o.Obj.GetAPIVersion() != "apps/v1" {
			continue
		}
		objNS := o.Obj.GetNamespace()
		if objNS == "" {
			objNS = ns
		}
		if objNS != ns {
			continue
		}
		sel, hash, err := currentSelector(ctx, c, ns, o.Obj.GetKind(), o.Obj.GetName())
		if err != nil {
			return out, fmt.Errorf("%s %s/%s: find its current pods: %w", o.Obj.GetKind(), ns, o.Obj.GetName(), err)
		}
		if sel == nil {
			continue
		}
		if hash != "" {
			out.Hashes = append(out.Hashes, hash)
		}
		pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			return out, fmt.Errorf("%s %s/%s: list its pods: %w", o.Obj.GetKind(), ns, o.Obj.GetName(), err)
		}
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				names[p.Name] = true
			}
		}
	}
	for n := range names {
		out.Names = append(out.Names, n)
	}
	sort.Strings(out.Names)
	sort.Strings(out.Hashes)
	return out, nil
}

// currentSelector is the label selector of a workload's current pods and,
// for a Deployment, their pod-template-hash; nil when the workload does not
// exist or is not one that runs pods.
func currentSelector(ctx context.Context, c kubernetes.Interface, ns, kind, name string) (labels.Selector, string, error) {
	apps := c.AppsV1()
	switch kind {
	case "Deployment":
		d, err := apps.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		hash, err := currentHash(ctx, c, d)
		if err != nil || hash == "" {
			return nil, "", err
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return nil, "", err
		}
		return withLabel(sel, appsv1.DefaultDeploymentUniqueLabelKey, hash), hash, nil
	case "StatefulSet":
		s, err := apps.StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		sel, err := metav1.LabelSelectorAsSelector(s.Spec.Selector)
		if err != nil || s.Status.UpdateRevision == "" {
			return sel, "", err
		}
		return withLabel(sel, appsv1.StatefulSetRevisionLabel, s.Status.UpdateRevision), "", nil
	case "DaemonSet":
		d, err := apps.DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		return sel, "", err
	}
	return nil, "", nil
}

// currentHash is the pod-template-hash of d's ReplicaSet of d's current
// revision; "" when it has none yet.
func currentHash(ctx context.Context, c kubernetes.Interface, d *appsv1.Deployment) (string, error) {
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return "", err
	}
	rss, err := c.AppsV1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return "", err
	}
	want := d.Annotations[revisionAnnotation]
	for _, rs := range rss.Items {
		if !metav1.IsControlledBy(&rs, d) || want == "" || rs.Annotations[revisionAnnotation] != want {
			continue
		}
		return rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey], nil
	}
	return "", nil
}

// withLabel adds key=value to sel.
func withLabel(sel labels.Selector, key, value string) labels.Selector {
	r, err := labels.NewRequirement(key, "=", []string{value})
	if err != nil {
		return sel
	}
	return sel.Add(*r)
}
