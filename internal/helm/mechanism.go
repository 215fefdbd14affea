package helm

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
)

// Mechanism is the helm rollout mechanism (spec.mechanism helm): each
// kship revision is one Helm revision of the release
// spec.source.helm.releaseName, and a rollback is Helm's rollback.
type Mechanism struct {
	Env rollout.Env
}

// NewMechanism returns the helm mechanism of a run.
func NewMechanism(env rollout.Env) *Mechanism { return &Mechanism{Env: env} }

// FieldManager is the field manager Helm writes with: kship's plan and
// checks dry-run with it, so they predict Helm's apply.
func (m *Mechanism) FieldManager() string { return FieldManager }

// client opens the Helm release of a release file; the warnings of Helm's
// SDK go to the run's stream under stage.
func (m *Mechanism) client(rel *config.Release, ns string, stage event.Stage) *Client {
	c := Open(m.Env.Clients, ns, releaseName(rel))
	c.Now = m.Env.Now
	if sink := m.Env.Sink; sink != nil {
		c.Warn = func(msg string) {
			sink.Emit(event.Event{Time: m.Env.Now(), Stage: stage, Type: event.TypeLog, Object: c.String(), Message: msg})
		}
	}
	if h := rel.Spec.Source.Helm; h != nil && h.MaxHistory > 0 {
		c.MaxHistory = h.MaxHistory
	}
	if t := rel.Spec.Verify.RolloutTimeout.Duration; t > 0 {
		c.HookTimeout = t
	}
	return c
}

func releaseName(rel *config.Release) string {
	if h := rel.Spec.Source.Helm; h != nil && h.ReleaseName != "" {
		return h.ReleaseName
	}
	return rel.Metadata.Name
}

// Write installs or upgrades the Helm release with t.Objects as its
// manifest. A pending revision that kship's own interrupted run left (its
// kship revision is recorded interrupted: the run died and this run holds
// the lock) is recovered first, by Helm's rollback; another client's is
// refused. It returns the objects Helm applied.
func (m *Mechanism) Write(ctx context.Context, t rollout.Target) ([]manifest.Object, error) {
	if t.Release.Spec.Source.Helm == nil {
		return nil, errors.New("spec.mechanism helm needs spec.source.helm (a chart)")
	}
	c := m.client(t.Release, t.Namespace, event.StageRollout)
	if err := m.recover(ctx, c, t); err != nil {
		return nil, err
	}
	chrt, vals, err := manifest.HelmChart(t.Release)
	if err != nil {
		return nil, err
	}
	act, number := Next(mustHistory(ctx, c))
	m.Env.Decide(event.StageRollout, fmt.Sprintf("helm %s: Helm revision %d of %s/%s with %d objects; Helm runs the chart's hooks", act, number, t.Namespace, c.Name, len(t.Objects)))
	op, err := c.Write(ctx, Request{Chart: chrt, Values: vals, Objects: t.Objects, ChartDir: chartDir(t.Release),
		KshipRevision: t.Revision, Description: fmt.Sprintf("kship revision %d", t.Revision), ForceConflicts: m.Env.ForceConflicts})
	m.report(event.StageRollout, op)
	if err != nil {
		return t.Objects, err
	}
	return t.Objects, nil
}

// recover ends a pending revision before the write: kship's own
// interrupted run's is recovered (and the evidence says how), anything
// else refused.
func (m *Mechanism) recover(ctx context.Context, c *Client, t rollout.Target) error {
	p, err := c.Pending(ctx)
	if err != nil || p == nil {
		return err
	}
	why, ok := m.ownInterrupted(ctx, t.Release, t.Namespace, *p)
	if !ok {
		return c.Refuse(ctx, *p, why)
	}
	m.Env.Decide(event.StageRollout, fmt.Sprintf("Helm revision %d of %s/%s is %s, left by %s: recovering it as a human would: marked failed, then Helm's rollback to the last good revision",
		p.Number, t.Namespace, c.Name, p.Status, why))
	ops, err := c.Recover(ctx, *p, why)
	for _, op := range ops {
		m.report(event.StageRollout, op)
	}
	if err != nil {
		return fmt.Errorf("recover the pending Helm revision %d: %w", p.Number, err)
	}
	return nil
}

// ownInterrupted reports whether pending revision p was left by a kship
// run that died: kship wrote it (its labels), and kship's record of that
// revision is interrupted (marked so under the lock, its holder gone) or
// still pending with a lock that no longer proves anyone is running. It
// says who left it, or why kship will not recover it.
func (m *Mechanism) ownInterrupted(ctx context.Context, rel *config.Release, ns string, p Revision) (string, bool) {
	if p.KshipRevision == 0 {
		return "not written by kship (no kship revision label of its own)", false
	}
	revs, err := record.NewReader(m.Env.Clients.Typed).ListRecords(ctx, ns, rel.Metadata.Name)
	if err != nil {
		return fmt.Sprintf("kship revision %d's record cannot be read: %v", p.KshipRevision, err), false
	}
	for _, r := range revs {
		if r.Number != p.KshipRevision {
			continue
		}
		if r.Outcome == record.OutcomeInterrupted {
			return fmt.Sprintf("kship revision %d, whose run (%s) died: its record says %q", r.Number, r.By, r.Message), true
		}
		return fmt.Sprintf("kship revision %d, recorded %s by %s, not interrupted: its run may still be going", r.Number, r.Outcome, r.By), false
	}
	return fmt.Sprintf("kship revision %d, of which kship keeps no record", p.KshipRevision), false
}

// report records a Helm operation in the run's stream.
func (m *Mechanism) report(stage event.Stage, op *Operation) {
	if op == nil || m.Env.Sink == nil {
		return
	}
	m.Env.Sink.Emit(event.Event{Time: m.Env.Now(), Stage: stage, Type: event.TypeHelm, Object: "Helm release " + op.Namespace + "/" + op.Release,
		Message: op.String(), Data: op})
}

// EventType is event.TypeHelm.
func (*Operation) EventType() event.Type { return event.TypeHelm }

// mustHistory is the history for the plan line of a write; a read error
// shows up again in the write itself.
func mustHistory(ctx context.Context, c *Client) []Revision {
	h, _ := c.History(ctx)
	return h
}

// chartDir is the chart's folder as object sources name it (relative to
// the release file, forward slashes), as manifest names them.
func chartDir(rel *config.Release) string {
	p := rel.Spec.Source.Helm.Chart
	if !filepath.IsAbs(p) {
		p = filepath.Join(rel.Dir, p)
	}
	r, err := filepath.Rel(rel.Dir, p)
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return filepath.ToSlash(filepath.Clean(p))
	}
	return filepath.ToSlash(r)
}
