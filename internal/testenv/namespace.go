package testenv

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Namespace creates a fresh namespace named prefix + random suffix and
// deletes it when the test ends (unless KSHIP_KEEP_NS=1). It returns once the
// namespace's default ServiceAccount exists, so pods can be created at once.
func Namespace(t testing.TB, env *Env, prefix string) string {
	t.Helper()
	cs := env.Clientset(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: prefix + rand.String(5)}}
	created, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace %s: %v", ns.Name, err)
	}
	name := created.Name
	t.Cleanup(func() {
		if os.Getenv("KSHIP_KEEP_NS") == "1" {
			t.Logf("keeping namespace %s (KSHIP_KEEP_NS=1)", name)
			return
		}
		// t.Context() is cancelled before cleanups run.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
		defer cancel()
		err := cs.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete namespace %s: %v", name, err)
		}
	})
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s: default ServiceAccount did not appear: %v", name, err)
	}
	return name
}
