package rollback

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
)

type restorer struct{ restored []*record.Revision }

func (r *restorer) Restore(_ context.Context, in rollout.Restore) ([]manifest.Object, error) {
	r.restored = append(r.restored, in.Target)
	return record.ObjectsOf(in.Target), nil
}

type history struct{ saved map[int]record.Revision }

func (h *history) Save(_ context.Context, r *record.Revision) error {
	h.saved[r.Number] = *r
	return nil
}

func (h *history) SaveRetrying(ctx context.Context, r *record.Revision, _ time.Duration, _ func(error, time.Duration)) error {
	return h.Save(ctx, r)
}

func (h *history) Get(_ context.Context, _, _ string, n int) (*record.Revision, error) {
	r, ok := h.saved[n]
	if !ok {
		return nil, record.ErrNotFound
	}
	return &r, nil
}

type checker struct{}

func (checker) Ready(context.Context, *config.Release, string, []manifest.Object) error { return nil }
func (checker) Verify(context.Context, *config.Release, string, int) ([]string, string, error) {
	return []string{"smoke health (http): passed"}, "", nil
}

// A rollback whose events do not reach the attempt's recorder (none since
// the trigger) still writes its bundle, timed from when it started; the
// bundle's start was read from the first recorded event, which panicked on
// an empty list.
func TestRollbackBundleWithoutRecordedEvents(t *testing.T) {
	start := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { now = now.Add(time.Second); return now }
	h := &history{saved: map[int]record.Revision{}}
	prev := &record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeDeployed, Objects: []manifest.Object{obj("ConfigMap", "cfg", nil)}}
	failed := &record.Revision{Release: "web", Namespace: "shop", Number: 2, Outcome: record.OutcomePending, Objects: prev.Objects}
	dir := t.TempDir()
	x := &Runner{Mechanism: &restorer{}, History: h, Check: checker{}, Env: rollout.Env{Sink: event.Discard, Now: clock},
		Recorder: evidence.NewRecorder(nil), Redactor: evidence.NewRedactor(), EvidenceRoot: dir}
	out := &event.Outcome{Release: "web", Namespace: "shop", Trigger: "smoke check health failed"}
	rel := &config.Release{Spec: config.Spec{Rollback: config.Rollback{Method: config.RollbackAuto}}}
	x.AfterFailure(context.Background(), Attempt{Out: out, Dir: dir}, Failure{Stage: event.StageVerify, Revision: failed, Release: rel, Previous: prev})
	if out.Verdict != event.RolledBack || out.RollbackRevision != 3 || failed.Outcome != record.OutcomeRolledBack {
		t.Fatalf("outcome %+v, failed revision %q", out, failed.Outcome)
	}
	b, err := evidence.Read(h.saved[3].EvidenceDir)
	if err != nil {
		t.Fatalf("rollback bundle: %v (revision 3 recorded %+v)", err, h.saved[3])
	}
	if !b.StartedAt.Equal(start.Add(time.Second)) || b.Kind != evidence.KindRollback || len(b.Events) != 0 {
		t.Errorf("bundle started %s, kind %s, %d events", b.StartedAt, b.Kind, len(b.Events))
	}
	if filepath.Dir(h.saved[3].EvidenceDir) != filepath.Join(dir, "web") || h.saved[3].EvidenceDigest == "" {
		t.Errorf("revision 3: evidence %s digest %q", h.saved[3].EvidenceDir, h.saved[3].EvidenceDigest)
	}
}
