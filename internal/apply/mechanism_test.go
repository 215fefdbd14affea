package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
)

// script is an ObjectWriter that records what it was asked to do.
type script struct {
	calls []string
	err   error
}

func (s *script) Apply(_ context.Context, objs []manifest.Object, opts Options) (*ChangeSet, error) {
	var migs []string
	for _, m := range opts.Migrations {
		migs = append(migs, m.Job)
	}
	s.calls = append(s.calls, fmt.Sprintf("apply %s migrations=%s", names(objs), strings.Join(migs, ",")))
	return &ChangeSet{}, s.err
}

func (s *script) Prune(_ context.Context, objs []manifest.Object) (*ChangeSet, error) {
	s.calls = append(s.calls, "prune "+names(objs))
	return &ChangeSet{}, nil
}

func names(objs []manifest.Object) string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Obj.GetKind()+"/"+o.Obj.GetName())
	}
	return strings.Join(out, ",")
}

const migrated = `
apiVersion: batch/v1
kind: Job
metadata: {name: up, namespace: shop}
---
apiVersion: batch/v1
kind: Job
metadata: {name: down, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
`

func migratedRelease() *config.Release {
	return &config.Release{Spec: config.Spec{Migrations: []config.Migration{{Job: "up", Type: config.MigrationReversible, Down: "down"}}}}
}

func mechanism(w, r *script) *Mechanism {
	return &Mechanism{Writer: w, Restorer: r, Env: rollout.Env{Now: time.Now}}
}

// Write leaves a reversible migration's down Job to the rollback, runs the
// migrations, and prunes what earlier revisions left that this one lacks.
func TestMechanismWrite(t *testing.T) {
	w := &script{}
	old := decode(t, "apiVersion: v1\nkind: Service\nmetadata: {name: old, namespace: shop}\n")
	objs := decode(t, migrated)
	wrote, err := mechanism(w, &script{}).Write(context.Background(), rollout.Target{Release: migratedRelease(), Objects: objs, Live: append(old, objs...)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"apply Job/up,Deployment/web migrations=up", "prune Service/old"}
	if strings.Join(w.calls, "; ") != strings.Join(want, "; ") || names(wrote) != "Job/up,Deployment/web" {
		t.Errorf("calls %q, wrote %s", w.calls, names(wrote))
	}
	w = &script{err: errors.New("admission denied")}
	_, err = mechanism(w, &script{}).Write(context.Background(), rollout.Target{Release: migratedRelease(), Objects: objs, Live: old})
	if err == nil || err.Error() != "apply failed: admission denied" || len(w.calls) != 1 {
		t.Errorf("failed apply: %v, calls %q (nothing may be pruned after a failed apply)", err, w.calls)
	}
}

// Restore runs the down Job of the revision rolled back, re-applies the
// target without its migration Jobs, and deletes what the target lacks but
// not what the rolled-back revision adopted; a drill's roll-forward runs
// the migrations again instead; with no target the release's objects go,
// newest first, adopted ones kept.
func TestMechanismRestore(t *testing.T) {
	objs := decode(t, migrated)
	extra := decode(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: added, namespace: shop}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: adopted, namespace: shop}\n")
	from := &record.Revision{Number: 2, Objects: append(append([]manifest.Object{}, objs...), extra...), Adopted: []manifest.Ref{extra[1].Ref()}}
	target := &record.Revision{Number: 1, Objects: objs}
	cases := []struct {
		name string
		in   rollout.Restore
		want []string
	}{
		{"rollback", rollout.Restore{From: from, FromRelease: migratedRelease(), Target: target, TargetRelease: migratedRelease(), Live: from.Objects},
			[]string{"apply Job/down migrations=down", "apply Deployment/web migrations=", "prune ConfigMap/added"}},
		{"roll-forward", rollout.Restore{From: target, FromRelease: migratedRelease(), Target: from, TargetRelease: migratedRelease(), Live: target.Objects, Forward: true},
			[]string{"prune Job/up,Job/down", "apply Job/up,Deployment/web,ConfigMap/added,ConfigMap/adopted migrations=up"}},
		{"remove", rollout.Restore{From: from, FromRelease: &config.Release{}, Live: from.Objects},
			[]string{"prune ConfigMap/added,Deployment/web,Job/down,Job/up"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &script{}
			if _, err := mechanism(&script{}, r).Restore(context.Background(), c.in); err != nil {
				t.Fatal(err)
			}
			if strings.Join(r.calls, "; ") != strings.Join(c.want, "; ") {
				t.Errorf("calls\n  %s\nwant\n  %s", strings.Join(r.calls, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}
