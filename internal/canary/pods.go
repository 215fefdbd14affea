package canary

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kship/kship/internal/manifest"
)

// canaryHash is the pod-template-hash of the canary Deployment's current
// ReplicaSet (the one with the Deployment's revision).
func (c *run) canaryHash(ctx context.Context) (string, error) { return c.hashOf(ctx, *c.canary) }

// hashOf is the pod-template-hash of Deployment o's current ReplicaSet.
func (c *run) hashOf(ctx context.Context, o manifest.Object) (string, error) {
	if c.s.Env.Clients == nil {
		return "", nil
	}
	ns, name := o.Obj.GetNamespace(), o.Obj.GetName()
	apps := c.s.Env.Clients.Typed.AppsV1()
	d, err := apps.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("read %s: %w", o.Ref(), err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return "", fmt.Errorf("%s: selector: %w", o.Ref(), err)
	}
	rss, err := apps.ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return "", fmt.Errorf("list the ReplicaSets of %s: %w", o.Ref(), err)
	}
	rev := d.Annotations["deployment.kubernetes.io/revision"]
	for _, rs := range rss.Items {
		if metav1.IsControlledBy(&rs, d) && rs.Annotations["deployment.kubernetes.io/revision"] == rev {
			if h := rs.Labels["pod-template-hash"]; h != "" {
				return h, nil
			}
		}
	}
	return "", fmt.Errorf("%s: no ReplicaSet of revision %s with a pod-template-hash", o.Ref(), rev)
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
