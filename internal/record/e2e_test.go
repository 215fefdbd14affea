package record

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/testenv"
)

func e2eStore(t *testing.T) (*Store, string) {
	t.Helper()
	env := testenv.Get(t)
	ns := testenv.Namespace(t, env, "record-")
	return &Store{Typed: env.Clientset(t), Version: "test"}, ns
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestE2ESaveListGetPrune(t *testing.T) {
	s, ns := e2eStore(t)
	ctx := testCtx(t)
	if rev, err := s.Latest(ctx, ns, "web"); rev != nil || err != nil {
		t.Fatalf("Latest of a new release = %v, %v; want nil, nil", rev, err)
	}
	for i := 1; i <= 12; i++ {
		rev := &Revision{Release: "web", Namespace: ns, ReleaseFile: []byte(fmt.Sprintf("# v%d\n", i)),
			Objects:   []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"data": map[string]any{"v": fmt.Sprint(i)}})},
			StartedAt: time.Now(), By: "test"}
		if i == 1 {
			rev.Outcome = OutcomeDeployed // stays deployed: in use, must survive pruning
		}
		if err := s.Save(ctx, rev); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
		if rev.Number != i {
			t.Fatalf("save %d got number %d", i, rev.Number)
		}
		if i > 1 {
			rev.Outcome, rev.Message, rev.FinishedAt = OutcomeFailed, "crashloop", time.Now()
			if err := s.Save(ctx, rev); err != nil {
				t.Fatalf("update %d: %v", i, err)
			}
		}
	}
	revs, err := s.List(ctx, ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	for _, r := range revs {
		nums = append(nums, r.Number)
	}
	if fmt.Sprint(nums) != "[12 11 10 9 8 7 6 5 4 1]" {
		t.Errorf("kept revisions %v, want the last 9 and the deployed v1", nums)
	}
	records, err := s.ListRecords(ctx, ns, "web")
	if err != nil || len(records) != len(revs) || records[0].Number != 12 || records[0].Objects != nil || records[0].Outcome != OutcomeFailed {
		t.Fatalf("ListRecords = %d revisions (%v), first %+v", len(records), err, records[0])
	}
	if err := s.Save(ctx, &records[0]); err == nil || !strings.Contains(err.Error(), "without its manifests") {
		t.Errorf("saving a record-only revision: %v, want a refusal", err)
	}
	latest, err := s.Latest(ctx, ns, "web")
	if err != nil || latest.Number != 12 || latest.Outcome != OutcomeFailed || latest.Message != "crashloop" {
		t.Fatalf("Latest = %+v, %v", latest, err)
	}
	if string(latest.ReleaseFile) != "# v12\n" || latest.Objects[0].Obj.Object["data"].(map[string]any)["v"] != "12" {
		t.Errorf("v12 content did not round trip: %q %v", latest.ReleaseFile, latest.Objects[0].Obj.Object)
	}
	if _, err := s.Get(ctx, ns, "web", 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of pruned v2: %v, want ErrNotFound", err)
	}
	sec, err := s.Typed.CoreV1().Secrets(ns).Get(ctx, SecretName("web", 12), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sec.Type != SecretType || sec.Labels[LabelOutcome] != OutcomeFailed || sec.Labels[LabelRevision] != "12" {
		t.Errorf("Secret type %q labels %v", sec.Type, sec.Labels)
	}
	listed, err := s.Typed.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "kship.dev/release=web"})
	if err != nil || len(listed.Items) != 10 {
		t.Errorf("kubectl-style label listing found %d Secrets (%v), want 10", len(listed.Items), err)
	}
}

func TestE2ESaveConflict(t *testing.T) {
	s, ns := e2eStore(t)
	ctx := testCtx(t)
	rev := &Revision{Release: "api", Namespace: ns, StartedAt: time.Now()}
	if err := s.Save(ctx, rev); err != nil {
		t.Fatal(err)
	}
	stale, err := s.Get(ctx, ns, "api", rev.Number)
	if err != nil {
		t.Fatal(err)
	}
	rev.Outcome = OutcomeDeployed
	if err := s.Save(ctx, rev); err != nil {
		t.Fatal(err)
	}
	stale.Outcome = OutcomeFailed
	err = s.Save(ctx, stale)
	if err == nil || !strings.Contains(err.Error(), "update revision") {
		t.Fatalf("saving a stale copy: %v, want a conflict", err)
	}
	again := &Revision{Release: "api", Namespace: ns, Number: rev.Number}
	if err := s.Save(ctx, again); err == nil {
		t.Fatal("creating an existing revision number succeeded")
	}
}

func TestE2ECompressionRoundTrip(t *testing.T) {
	s, ns := e2eStore(t)
	ctx := testCtx(t)
	var objs []manifest.Object
	for i := range 200 {
		objs = append(objs, obj("ConfigMap", fmt.Sprintf("cfg-%d", i), map[string]any{"data": map[string]any{"k": strings.Repeat("value ", 50)}}))
	}
	objs = append(objs, manifest.Object{Obj: secretObj("creds", "hunter2")})
	rev := &Revision{Release: "big", Namespace: ns, Objects: objs, Outcome: OutcomeDeployed}
	if err := s.Save(ctx, rev); err != nil {
		t.Fatal(err)
	}
	sec, err := s.Typed.CoreV1().Secrets(ns).Get(ctx, SecretName("big", rev.Number), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := encodeObjects(objs)
	if stored := len(sec.Data[keyManifests]); stored*10 > len(raw) {
		t.Errorf("stored %d bytes for %d bytes of manifests: not compressed", stored, len(raw))
	}
	got, err := s.Get(ctx, ns, "big", rev.Number)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Objects) != len(objs) {
		t.Fatalf("got %d objects back, want %d", len(got.Objects), len(objs))
	}
	last := got.Objects[len(got.Objects)-1].Obj
	if v, _, _ := unstructured.NestedString(last.Object, "stringData", "password"); v != "hunter2" {
		t.Errorf("the release's Secret did not round trip exactly: %v", last.Object)
	}
}

func secretObj(name, password string) *unstructured.Unstructured {
	return obj("Secret", name, map[string]any{"stringData": map[string]any{"password": password}}).Obj
}

func TestE2ELockContention(t *testing.T) {
	s, ns := e2eStore(t)
	ctx := testCtx(t)
	first, err := s.Lock(ctx, ns, "web", "alice@box pid 1", LockOptions{TTL: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if first.Previous != nil {
		t.Errorf("a free lock reported a previous holder %v", first.Previous)
	}
	// Outlive the TTL: renewal must keep the lock ours.
	time.Sleep(5 * time.Second)
	_, err = s.Lock(ctx, ns, "web", "bob@box pid 2", LockOptions{TTL: 3 * time.Second})
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second Lock: %v, want *LockedError", err)
	}
	if locked.Holder != "alice@box pid 1" || locked.Since.IsZero() || time.Since(locked.Since) > time.Minute {
		t.Errorf("LockedError %+v: want holder alice and a recent since", locked)
	}
	holder, err := s.LockHolder(ctx, ns, "web")
	if err != nil || holder == nil || holder.Identity != "alice@box pid 1" {
		t.Fatalf("LockHolder = %v, %v", holder, err)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err := s.LockHolder(ctx, ns, "web"); h != nil || err != nil {
		t.Fatalf("after Release LockHolder = %v, %v; want free", h, err)
	}
	second, err := s.Lock(ctx, ns, "web", "bob@box pid 2", LockOptions{})
	if err != nil {
		t.Fatalf("Lock after Release: %v", err)
	}
	if err := second.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestE2ELockExpiryTakeover(t *testing.T) {
	s, ns := e2eStore(t)
	ctx := testCtx(t)
	// A holder that died: its context ends, so it stops renewing.
	deadCtx, die := context.WithCancel(ctx)
	dead, err := s.Lock(deadCtx, ns, "web", "carol@box pid 3", LockOptions{TTL: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	die()
	<-dead.done
	_, err = s.Lock(ctx, ns, "web", "dave@box pid 4", LockOptions{})
	if !errors.As(err, new(*LockedError)) {
		t.Fatalf("Lock while the dead holder's lease is still valid: %v, want *LockedError", err)
	}
	untilExpired(t, s, ns, "web")
	l, err := s.Lock(ctx, ns, "web", "dave@box pid 4", LockOptions{})
	if err != nil {
		t.Fatalf("Lock of an expired lease: %v", err)
	}
	defer l.Release(ctx)
	if l.Previous == nil || l.Previous.Identity != "carol@box pid 3" || l.Forced {
		t.Fatalf("Previous = %+v forced=%v, want carol, not forced", l.Previous, l.Forced)
	}
	if !strings.Contains(l.TookOver(), "took over the lock from carol@box pid 3") {
		t.Errorf("TookOver() = %q", l.TookOver())
	}
	lease, err := s.Typed.CoordinationV1().Leases(ns).Get(ctx, LeaseName("web"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lease.Annotations[AnnotationPreviousHolder], "carol@box pid 3") {
		t.Errorf("annotation %s = %q", AnnotationPreviousHolder, lease.Annotations[AnnotationPreviousHolder])
	}
}

func TestE2ELockForce(t *testing.T) {
	s, ns := e2eStore(t)
	ctx := testCtx(t)
	victim, err := s.Lock(ctx, ns, "web", "erin@box pid 5", LockOptions{TTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Lock(ctx, ns, "web", "frank@box pid 6", LockOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if l.Previous == nil || l.Previous.Identity != "erin@box pid 5" || !l.Forced {
		t.Fatalf("Previous = %+v forced=%v, want erin, forced", l.Previous, l.Forced)
	}
	select {
	case <-victim.Lost():
		if !strings.Contains(victim.Err().Error(), "frank@box pid 6") {
			t.Errorf("victim's Err = %v, want it to name frank", victim.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the forced-out holder did not notice it lost the lock")
	}
	if err := victim.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.LockHolder(ctx, ns, "web"); h == nil || h.Identity != "frank@box pid 6" {
		t.Fatalf("the forced-out holder's Release removed the new holder's lock: %v", h)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestE2ELockRace(t *testing.T) {
	s, ns := e2eStore(t)
	ctx := testCtx(t)
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []*Lease
	var lockedErrs int
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			l, err := s.Lock(ctx, ns, "web", fmt.Sprintf("racer pid %d", i), LockOptions{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, l)
			case errors.As(err, new(*LockedError)):
				lockedErrs++
			default:
				t.Errorf("racer %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(won) != 1 || lockedErrs != n-1 {
		t.Fatalf("%d racers won and %d were refused, want 1 and %d", len(won), lockedErrs, n-1)
	}
	if err := won[0].Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestE2EInterruptedRevision(t *testing.T) {
	s, ns := e2eStore(t)
	ctx := testCtx(t)
	deadCtx, die := context.WithCancel(ctx)
	l, err := s.Lock(deadCtx, ns, "web", "gina@box pid 7", LockOptions{TTL: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rev := &Revision{Release: "web", Namespace: ns, Outcome: OutcomePending, By: l.Holder, StartedAt: time.Now()}
	if err := s.Save(ctx, rev); err != nil {
		t.Fatal(err)
	}
	holder, _ := s.LockHolder(ctx, ns, "web")
	if Interrupted(rev, holder, time.Now()) {
		t.Fatal("a pending revision whose holder is alive reported interrupted")
	}
	die() // SIGKILL: no Release, no more renewals
	<-l.done
	untilExpired(t, s, ns, "web")
	holder, _ = s.LockHolder(ctx, ns, "web")
	latest, _ := s.Latest(ctx, ns, "web")
	if !Interrupted(latest, holder, time.Now()) {
		t.Fatalf("pending revision with an expired lock (%v) not reported interrupted", holder)
	}
}

// untilExpired waits until the release's lock, no longer renewed, expires.
func untilExpired(t *testing.T, s *Store, ns, release string) {
	t.Helper()
	h, err := s.LockHolder(t.Context(), ns, release)
	if err != nil || h == nil {
		t.Fatalf("LockHolder = %v, %v", h, err)
	}
	time.Sleep(time.Until(h.ExpiresAt()) + 200*time.Millisecond)
}
