package rollback

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

func obj(kind, name string, data map[string]any) manifest.Object {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "shop"}}}
	for k, v := range data {
		u.Object[k] = v
	}
	return manifest.Object{Obj: u}
}

func TestRollbackTargetSkipsUndoneAndIdenticalRevisions(t *testing.T) {
	v1 := []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"data": map[string]any{"v": "1"}})}
	v2 := []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"data": map[string]any{"v": "2"}})}
	v3 := []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"data": map[string]any{"v": "3"}})}
	// 1 superseded, 2 superseded, 3 rolled back, 4 = rollback of 3 restoring 2.
	revs := []record.Revision{
		{Number: 4, Outcome: record.OutcomeDeployed, RollbackOf: 3, Objects: v2},
		{Number: 3, Outcome: record.OutcomeRolledBack, Objects: v3},
		{Number: 2, Outcome: record.OutcomeSuperseded, Objects: v2},
		{Number: 1, Outcome: record.OutcomeSuperseded, Objects: v1},
	}
	got, err := Target(context.TODO(), nil, revs, &revs[0], 0)
	if err != nil || got == nil || got.Number != 1 {
		t.Fatalf("target = %+v, %v; want revision 1", got, err)
	}
	got, err = Target(context.TODO(), nil, revs[2:], &revs[2], 0)
	if err != nil || got == nil || got.Number != 1 {
		t.Fatalf("target of 2 = %+v, %v; want revision 1", got, err)
	}
	got, err = Target(context.TODO(), nil, revs[3:], &revs[3], 0)
	if err != nil || got != nil {
		t.Fatalf("a first release has no target, got %+v, %v", got, err)
	}
}

func TestRefusalSuggestsOnlyRevisionsThatExist(t *testing.T) {
	v1 := []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"data": map[string]any{"v": "1"}})}
	first := []record.Revision{{Release: "shop", Namespace: "tour", Number: 1, Outcome: record.OutcomeDeployed, Objects: v1}}
	msg := Refusal(first, &first[0])
	if !strings.Contains(msg, "revision 1 has no earlier revision that was deployed") {
		t.Errorf("refusal of a first revision does not say why: %q", msg)
	}
	if strings.Contains(msg, "--to-revision") {
		t.Errorf("refusal of the only revision suggests --to-revision, and there is no other revision: %q", msg)
	}
	// Revision 2 deployed the very objects of revision 1: a rollback is
	// refused, and revision 1 exists to be named.
	same := []record.Revision{
		{Release: "shop", Namespace: "tour", Number: 2, Outcome: record.OutcomeDeployed, Objects: v1},
		{Release: "shop", Namespace: "tour", Number: 1, Outcome: record.OutcomeSuperseded, Objects: v1},
	}
	msg = Refusal(same, &same[0])
	if !strings.Contains(msg, "kship rollback shop -n tour --to-revision 1 ") || strings.Contains(msg, "--to-revision N") {
		t.Errorf("refusal does not name the earlier revision that exists: %q", msg)
	}
}
