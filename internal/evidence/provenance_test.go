package evidence

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
)

func decode(t *testing.T, doc string) []manifest.Object {
	t.Helper()
	objs, err := manifest.Decode("test.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.Obj.GetNamespace() == "" {
			o.Obj.SetNamespace("shop")
		}
	}
	return objs
}

const v1 = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers: [{name: migrate, image: "registry.example/web-migrate:1.0"}]
      containers:
        - {name: web, image: "registry.example/web:1.0"}
        - {name: proxy, image: "envoy@sha256:aaaa"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: report, image: "report:3"}]}}}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: config}
data: {image: "not-an-image:1"}
`

// TestImageChanges: every workload's containers (init ones too, a
// CronJob's through its job template), paired before and after; a pinned
// digest is kept, a tag has none; a ConfigMap's data is not an image.
func TestImageChanges(t *testing.T) {
	v2 := strings.NewReplacer("web:1.0", "web:1.1", `{name: proxy, image: "envoy@sha256:aaaa"}`, `{name: sidecar, image: "log@sha256:bbbb"}`).Replace(v1)
	got := ImageChanges(decode(t, v1), decode(t, v2))
	want := []ImageChange{
		{Object: "CronJob shop/report", Container: "report", Before: "report:3", After: "report:3"},
		{Object: "Deployment shop/web", Container: "init:migrate", Before: "registry.example/web-migrate:1.0", After: "registry.example/web-migrate:1.0"},
		{Object: "Deployment shop/web", Container: "proxy", Before: "envoy@sha256:aaaa", BeforeDigest: "sha256:aaaa"},
		{Object: "Deployment shop/web", Container: "sidecar", After: "log@sha256:bbbb", AfterDigest: "sha256:bbbb"},
		{Object: "Deployment shop/web", Container: "web", Before: "registry.example/web:1.0", After: "registry.example/web:1.1"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if got[0].Changed() || !got[4].Changed() {
		t.Error("Changed")
	}
}

// TestObjectsDigest: the same objects in another order give the same
// digest; one changed field gives another.
func TestObjectsDigest(t *testing.T) {
	a := decode(t, v1)
	b := []manifest.Object{a[2], a[0], a[1]}
	if ObjectsDigest(a) != ObjectsDigest(b) {
		t.Error("order changed the digest")
	}
	c := decode(t, strings.Replace(v1, "report:3", "report:4", 1))
	if ObjectsDigest(a) == ObjectsDigest(c) || !strings.HasPrefix(ObjectsDigest(a), "sha256:") {
		t.Error("a changed image kept the digest")
	}
}

// TestSourceCommit: a folder inside a git work tree gives its HEAD commit
// and branch, dirty once a file changes; a folder outside any gives nil.
func TestSourceCommit(t *testing.T) {
	root := t.TempDir()
	if src, err := SourceCommit(root); err != nil || src != nil {
		t.Fatalf("outside a work tree: %+v %v", src, err)
	}
	repo, err := git.PlainInit(root, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "deploy", "prod")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "kship.yaml"), []byte("a: 1\n"), 0o644)
	wt, _ := repo.Worktree()
	wt.Add("deploy/prod/kship.yaml")
	hash, err := wt.Commit("first", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := SourceCommit(dir)
	if err != nil || src == nil || src.Commit != hash.String() || src.Branch != "master" || src.Dirty {
		t.Fatalf("clean: %+v %v (want %s)", src, err, hash)
	}
	os.WriteFile(filepath.Join(dir, "kship.yaml"), []byte("a: 2\n"), 0o644)
	if src, _ := SourceCommit(dir); src == nil || !src.Dirty {
		t.Errorf("changed file: %+v", src)
	}
}

// TestReportGroupsEventsAndShowsProvenance: fifty identical events are one
// row saying 50×; the provenance and the images are in the report.
func TestReportGroupsEventsAndShowsProvenance(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	b := &Bundle{Outcome: event.Outcome{Release: "web", StartedAt: t0, FinishedAt: t0.Add(time.Minute)},
		Provenance: &Provenance{User: "ana", Host: "ci-7", KshipVersion: "v0.3.0", Context: "prod", Server: "https://10.0.0.1:6443",
			KubernetesVersion: "v1.37.2", Source: &GitSource{Commit: "0123abc", Branch: "main"},
			Images: ImageChanges(decode(t, v1), decode(t, strings.Replace(v1, "web:1.0", "web:1.1", 1)))}}
	for i := 0; i < 50; i++ {
		b.Events = append(b.Events, event.Event{Time: t0.Add(time.Duration(i) * time.Second), Stage: event.StageRollout, Type: event.TypeKubeEvent,
			Object: "Pod shop/web-1", Message: "Back-off restarting failed container"})
	}
	b.Events = append(b.Events, event.Event{Time: t0.Add(55 * time.Second), Stage: event.StageRollout, Type: event.TypeDecision, Message: "rollback trigger"})
	html := ReportHTML(b)
	if n := strings.Count(html, "Back-off restarting failed container"); n != 1 {
		t.Errorf("the repeated event is in %d rows", n)
	}
	for _, want := range []string{"50× until +49s", "ana@ci-7", "v0.3.0", "prod (https://10.0.0.1:6443)", "v1.37.2", "0123abc on main",
		"<code>registry.example/web:1.0</code> (tag, not pinned)", "<code>registry.example/web:1.1</code>", "rollback trigger"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestReportGroupsKubernetesEventsByReason: Kubernetes Events of one
// object and reason whose messages differ (each names other addresses)
// are one row with their count; another reason is a row of its own.
func TestReportGroupsKubernetesEventsByReason(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	b := &Bundle{Outcome: event.Outcome{Release: "web", StartedAt: t0, FinishedAt: t0.Add(time.Minute)}}
	kube := func(at time.Duration, reason, msg string) event.Event {
		return event.Event{Time: t0.Add(at), Stage: event.StageRollout, Type: event.TypeKubeEvent, Object: "Service shop/web",
			Message: "Warning " + reason + " on Service web: " + msg, Data: event.KubeEvent{Involved: "Service web", Reason: reason, Message: msg}}
	}
	for i := 0; i < 12; i++ {
		b.Events = append(b.Events, kube(time.Duration(i)*time.Second, "FailedToUpdateEndpointSlices", fmt.Sprintf("endpoints[%d].addresses[0]: Invalid value: \"127.10.0.%d\"", i, i)))
	}
	b.Events = append(b.Events, kube(20*time.Second, "FailedToCreateEndpoint", "quota exceeded"))
	html := ReportHTML(b)
	if n := strings.Count(html, "Warning FailedToUpdateEndpointSlices"); n != 1 {
		t.Errorf("12 Events of one reason are in %d rows", n)
	}
	for _, want := range []string{"12× until +11s (the first message shown; each is in evidence.json)", "127.10.0.0", "Warning FailedToCreateEndpoint on Service web: quota exceeded"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
