package canary

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// canaryHash is the pod-template-hash of the canary Deployment's current
// ReplicaSet (the one with the Deployment's revision).
func (c *run) canaryHash(ctx context.Context) (string, error) {
	if c.s.Env.Clients == nil {
		return "", nil
	}
	ns, name := c.canary.Obj.GetNamespace(), c.canary.Obj.GetName()
	apps := c.s.Env.Clients.Typed.AppsV1()
	d, err := apps.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("read %s: %w", c.canary.Ref(), err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return "", fmt.Errorf("%s: selector: %w", c.canary.Ref(), err)
	}
	rss, err := apps.ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return "", fmt.Errorf("list the ReplicaSets of %s: %w", c.canary.Ref(), err)
	}
	rev := d.Annotations["deployment.kubernetes.io/revision"]
	for _, rs := range rss.Items {
		if metav1.IsControlledBy(&rs, d) && rs.Annotations["deployment.kubernetes.io/revision"] == rev {
			if h := rs.Labels["pod-template-hash"]; h != "" {
				return h, nil
			}
		}
	}
	return "", fmt.Errorf("%s: no ReplicaSet of revision %s with a pod-template-hash", c.canary.Ref(), rev)
}

// podsGone waits until no canary pod is left (at most ctx's deadline).
func (c *run) podsGone(ctx context.Context) error {
	if c.s.Env.Clients == nil {
		return nil
	}
	sel := labels.SelectorFromSet(stringMap(c.canary.Obj, "spec", "selector", "matchLabels")).String()
	pods := c.s.Env.Clients.Typed.CoreV1().Pods(c.canary.Obj.GetNamespace())
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err == nil && len(list.Items) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("canary pods still there: %v", context.Cause(ctx))
		case <-tick.C:
		}
	}
}
