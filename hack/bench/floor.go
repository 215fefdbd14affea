package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"strings"

	"github.com/kship/kship/internal/kube"
)

// floor applies the same objects with a plain server-side-apply loop and
// measures, with a passive watcher, the time until the last Deployment is
// Available with the new image: what the controllers need, the floor any
// tool's apply+wait can reach.
func (b *bench) floor(ctx context.Context, image string) (time.Duration, error) {
	c, err := kube.NewForConfig(b.cfg)
	if err != nil {
		return 0, err
	}
	if b.floorNS == "" {
		if b.floorNS, err = b.namespace(ctx, "bench-floor-"); err != nil {
			return 0, err
		}
	}
	objs, err := decodeAll(manifests(b.n, image))
	if err != nil {
		return 0, err
	}
	done := b.watchAvailable(ctx, c, image)
	start := time.Now()
	if err := b.ssaLoop(ctx, c, objs); err != nil {
		return 0, err
	}
	select {
	case <-done:
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// watchAvailable closes the returned channel when every Deployment of the
// floor namespace runs image and is Available with all replicas updated.
func (b *bench) watchAvailable(ctx context.Context, c *kube.Clients, image string) <-chan struct{} {
	done := make(chan struct{})
	f := informers.NewSharedInformerFactoryWithOptions(c.Typed, 0, informers.WithNamespace(b.floorNS))
	inf := f.Apps().V1().Deployments().Informer()
	var once sync.Once
	check := func(any) {
		ready := 0
		for _, o := range inf.GetStore().List() {
			if available(o.(*appsv1.Deployment), image) {
				ready++
			}
		}
		if ready == b.n {
			once.Do(func() { close(done) })
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: check, UpdateFunc: func(_, o any) { check(o) }})
	wctx, cancel := context.WithCancel(ctx)
	go func() { <-done; cancel() }()
	f.Start(wctx.Done())
	f.WaitForCacheSync(wctx.Done())
	return done
}

// available is kubectl rollout status's rule plus the image.
func available(d *appsv1.Deployment, image string) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	return d.Spec.Template.Spec.Containers[0].Image == image && d.Status.ObservedGeneration >= d.Generation &&
		d.Status.UpdatedReplicas == want && d.Status.AvailableReplicas == want && d.Status.Replicas == want
}

// ssaLoop server-side applies every object with b.workers goroutines.
func (b *bench) ssaLoop(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured) error {
	ch := make(chan *unstructured.Unstructured)
	errs := make(chan error, len(objs))
	var wg sync.WaitGroup
	for i := 0; i < b.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range ch {
				errs <- b.ssa(ctx, c, u)
			}
		}()
	}
	for _, u := range objs {
		ch <- u
	}
	close(ch)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) ssa(ctx context.Context, c *kube.Clients, u *unstructured.Unstructured) error {
	gvk := u.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	data, err := u.MarshalJSON()
	if err != nil {
		return err
	}
	force := true
	_, err = c.Dynamic.Resource(m.Resource).Namespace(b.floorNS).Patch(ctx, u.GetName(), types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: "bench-floor", Force: &force})
	if err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
	}
	return nil
}

// decodeAll decodes a multi-document YAML stream.
func decodeAll(s string) ([]*unstructured.Unstructured, error) {
	dec := yaml.NewYAMLOrJSONDecoder(strings.NewReader(s), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if err.Error() == "EOF" {
				return out, nil
			}
			return nil, err
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}
