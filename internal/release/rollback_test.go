package release

import (
	"context"
	"testing"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

func TestRollbackTargetSkipsUndoneAndIdenticalRevisions(t *testing.T) {
	v1 := []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"data": map[string]any{"v": "1"}})}
	v2 := []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"data": map[string]any{"v": "2"}})}
	v3 := []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"data": map[string]any{"v": "3"}})}
	// 1 superseded, 2 superseded, 3 rolled back, 4 = rollback of 3 restoring 2.
	revs := []record.Revision{
		{Number: 4, Outcome: OutcomeDeployed, RollbackOf: 3, Objects: v2},
		{Number: 3, Outcome: OutcomeRolledBack, Objects: v3},
		{Number: 2, Outcome: OutcomeSuperseded, Objects: v2},
		{Number: 1, Outcome: OutcomeSuperseded, Objects: v1},
	}
	r := &run{}
	got, err := r.rollbackTarget(context.TODO(), revs, &revs[0], 0)
	if err != nil || got == nil || got.Number != 1 {
		t.Fatalf("target = %+v, %v; want revision 1", got, err)
	}
	got, err = r.rollbackTarget(context.TODO(), revs[2:], &revs[2], 0)
	if err != nil || got == nil || got.Number != 1 {
		t.Fatalf("target of 2 = %+v, %v; want revision 1", got, err)
	}
	got, err = r.rollbackTarget(context.TODO(), revs[3:], &revs[3], 0)
	if err != nil || got != nil {
		t.Fatalf("a first release has no target, got %+v, %v", got, err)
	}
}
