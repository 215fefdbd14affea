package testenv

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// ReplicaLog records every spec.replicas a namespace's Deployments had,
// as the API server's watch reported them, in order: what an e2e test
// reads to show that nothing fought over a Deployment's replicas.
type ReplicaLog struct {
	mu   sync.Mutex
	seen map[string][]int32
	stop func()
}

// WatchReplicas starts a ReplicaLog of namespace ns; it stops with Stop or
// at the test's end. A watch the server ends is opened again from the
// last resource version seen.
func WatchReplicas(t testing.TB, cs kubernetes.Interface, ns string) *ReplicaLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &ReplicaLog{seen: map[string][]int32{}}
	list, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		cancel()
		t.Fatalf("list the Deployments of %s: %v", ns, err)
	}
	for _, d := range list.Items {
		l.add(&d)
	}
	rv := list.ResourceVersion
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			w, err := cs.AppsV1().Deployments(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
			if err != nil {
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
				continue
			}
			for ev := range w.ResultChan() {
				if d, ok := ev.Object.(*appsv1.Deployment); ok && ev.Type != watch.Error {
					rv = d.ResourceVersion
					if ev.Type != watch.Deleted {
						l.add(d)
					}
				}
			}
			w.Stop()
		}
	}()
	var once sync.Once
	l.stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(l.stop)
	return l
}

func (l *ReplicaLog) add(d *appsv1.Deployment) {
	if d.Spec.Replicas == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.seen[d.Name]
	if len(s) == 0 || s[len(s)-1] != *d.Spec.Replicas {
		l.seen[d.Name] = append(s, *d.Spec.Replicas)
	}
}

// Stop ends the watch.
func (l *ReplicaLog) Stop() { l.stop() }

// Of are the successive spec.replicas of Deployment name (each change
// once).
func (l *ReplicaLog) Of(name string) []int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int32(nil), l.seen[name]...)
}

// Rescales is how often the HorizontalPodAutoscaler ns/name rescaled its
// target, from its SuccessfulRescale events (each one's count).
func Rescales(t testing.TB, cs kubernetes.Interface, ns, name string) int {
	t.Helper()
	evs, err := cs.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{
		FieldSelector: fmt.Sprintf("involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=%s,reason=SuccessfulRescale", name)})
	if err != nil {
		t.Fatalf("list the events of HorizontalPodAutoscaler %s/%s: %v", ns, name, err)
	}
	n := 0
	for _, e := range evs.Items {
		n += int(max(e.Count, 1))
	}
	return n
}
