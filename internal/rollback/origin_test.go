package rollback

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
)

// originRestorer is a mechanism that keeps a history of its own: origin is
// what it says ran before kship (nil: nothing).
type originRestorer struct {
	restorer
	origin *rollout.Origin
	asked  []rollout.Restore
}

func (r *originRestorer) Origin(_ context.Context, in rollout.Restore) (*rollout.Origin, error) {
	r.asked = append(r.asked, in)
	return r.origin, nil
}

// A failed first kship revision of a release another client wrote is
// rolled back to what that client ran, recorded (pending, then deployed)
// as a rollback revision with its objects and a message naming it; with
// nothing before kship the release is removed as before.
func TestAfterFailureRestoresOrigin(t *testing.T) {
	installed := []manifest.Object{obj("ConfigMap", "cfg", nil)}
	for _, tc := range []struct {
		name    string
		origin  *rollout.Origin
		summary string
	}{
		{"another client's install", &rollout.Origin{Number: 1, Name: "Helm revision 1", By: "installed by another client: Install complete", Objects: installed},
			"revision 1 failed and was rolled back to Helm revision 1 (installed by another client: Install complete) (recorded as revision 2); the rollback was verified"},
		{"nothing before kship", nil, "revision 1 failed; it was the first revision, so its objects were deleted"},
	} {
		h := &history{saved: map[int]record.Revision{}}
		mech := &originRestorer{origin: tc.origin}
		x := &Runner{Mechanism: mech, History: h, Check: checker{}, Env: rollout.Env{Sink: event.Discard, Now: time.Now},
			Recorder: evidence.NewRecorder(nil), Redactor: evidence.NewRedactor(), EvidenceRoot: t.TempDir()}
		failed := &record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomePending, Objects: []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"v": "3"})}}
		out := &event.Outcome{Release: "web", Namespace: "shop", Trigger: "CrashLoopBackOff"}
		rel := &config.Release{Raw: []byte("kind: Release"), Spec: config.Spec{Rollback: config.Rollback{Method: config.RollbackAuto}}}
		x.AfterFailure(context.Background(), Attempt{Out: out}, Failure{Stage: event.StageRollout, Revision: failed, Release: rel})
		if out.Summary != tc.summary || out.Verdict != event.RolledBack || failed.Outcome != record.OutcomeRolledBack {
			t.Errorf("%s: verdict %s, failed revision %s, summary\n  %q\nwant\n  %q", tc.name, out.Verdict, failed.Outcome, out.Summary, tc.summary)
		}
		if len(mech.asked) != 1 || mech.asked[0].From != failed {
			t.Errorf("%s: the mechanism was asked for the origin %d times", tc.name, len(mech.asked))
		}
		rb, ok := h.saved[2]
		if tc.origin == nil {
			if ok || len(mech.restored) != 1 || mech.restored[0] != nil {
				t.Errorf("%s: recorded %+v, restored %v; want the release removed and nothing recorded", tc.name, rb, mech.restored)
			}
			continue
		}
		if !ok || rb.Outcome != record.OutcomeDeployed || rb.RollbackOf != 1 || !sameObjects(rb.Objects, installed) ||
			!strings.Contains(rb.Message, "Helm revision 1 (installed by another client") || string(rb.ReleaseFile) != "kind: Release" {
			t.Errorf("%s: rollback revision %+v", tc.name, rb)
		}
		if o := out.RestoredOrigin; o == nil || o.Revision != 1 || rb.RestoredOrigin == nil || *rb.RestoredOrigin != *o || out.RestoredRevision != 0 {
			t.Errorf("%s: outcome restored origin %+v (revision %d), recorded %+v; want Helm revision 1 in both", tc.name, o, out.RestoredRevision, rb.RestoredOrigin)
		}
	}
}

// A drill of kship's first revision of a release another client wrote
// rolls back as a failed deploy would: to that client's revision (the
// mechanism's origin), recorded as rollback revision 2 with its objects,
// then forward to revision 1 as revision 3; with nothing before kship it
// removes the release and applies revision 1 again, as before.
func TestDrillRestoresOrigin(t *testing.T) {
	installed := []manifest.Object{obj("ConfigMap", "cfg", nil)}
	for _, tc := range []struct {
		name     string
		origin   *rollout.Origin
		summary  string
		restored [][]manifest.Object
	}{
		{"another client's install", &rollout.Origin{Number: 1, Name: "Helm revision 1", By: "installed by another client: Install complete", Objects: installed},
			"drill passed: revision 1 was rolled back to Helm revision 1 (installed by another client: Install complete) and forward again (revision 3), both verified",
			[][]manifest.Object{installed, nil}},
		{"nothing before kship", nil,
			"drill passed: revision 1 was rolled back to nothing (first release removed) and forward again (revision 2), both verified",
			[][]manifest.Object{nil, nil}},
	} {
		h := &history{saved: map[int]record.Revision{}}
		mech := &originRestorer{origin: tc.origin}
		x := &Runner{Mechanism: mech, History: h, Check: checker{}, Env: rollout.Env{Sink: event.Discard, Now: time.Now},
			Recorder: evidence.NewRecorder(nil), Redactor: evidence.NewRedactor(), EvidenceRoot: t.TempDir()}
		from := &record.Revision{Release: "web", Namespace: "shop", Number: 1, Outcome: record.OutcomeDeployed, ReleaseFile: []byte("kind: Release"),
			Objects: []manifest.Object{obj("ConfigMap", "cfg", map[string]any{"v": "2"})}}
		tc.restored[1] = from.Objects
		out := &event.Outcome{Release: "web", Namespace: "shop"}
		d, _, err := x.Drill(context.Background(), Attempt{Out: out, Dir: t.TempDir()}, from, nil, 2)
		if err != nil || d.Verdict != evidence.DrillPassed || out.Summary != tc.summary {
			t.Errorf("%s: drill %+v (%v), summary\n  %q\nwant\n  %q", tc.name, d, err, out.Summary, tc.summary)
		}
		if len(mech.restored) != 2 {
			t.Fatalf("%s: %d restores, want 2 (back, forward)", tc.name, len(mech.restored))
		}
		for i, want := range tc.restored {
			if got := record.ObjectsOf(mech.restored[i]); !sameObjects(got, want) {
				t.Errorf("%s: restore %d brought back %d objects, want %d", tc.name, i, len(got), len(want))
			}
		}
		if tc.origin != nil {
			if rb := h.saved[2]; rb.RollbackOf != 1 || !sameObjects(rb.Objects, installed) || !strings.Contains(rb.Message, "Helm revision 1") {
				t.Errorf("%s: rollback revision 2 %+v", tc.name, rb)
			}
		}
	}
}
