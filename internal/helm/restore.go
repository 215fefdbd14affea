package helm

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
)

// Restore rolls the Helm release back from kship revision r.From to
// r.Target with Helm's rollback: From's Helm revision is first marked
// failed (kship's verdict; Helm does not wait, so it had marked it
// deployed), then the Helm revision Target wrote is restored, which puts
// back its ConfigMaps and Secrets, recreates what From deleted and deletes
// what From added. With no Target (a failed first release) the release is
// uninstalled, history kept. It returns Target's objects, whose readiness
// shows the rollback took effect. A Target that is r.Origin (what another
// client ran before kship's first revision) is restored by Helm's
// rollback to that Helm revision.
func (m *Mechanism) Restore(ctx context.Context, r rollout.Restore) ([]manifest.Object, error) {
	rel := r.FromRelease
	if r.TargetRelease != nil {
		rel = r.TargetRelease
	}
	if rel == nil || rel.Spec.Source.Helm == nil {
		return nil, fmt.Errorf("the release file of revision %d has no spec.source.helm: not a Helm release", r.From.Number)
	}
	c := m.client(rel, r.Namespace, event.StageRollback)
	hist, err := c.History(ctx)
	if err != nil {
		return nil, err
	}
	if l := last(hist); l != nil && l.Pending() && l.KshipRevision != r.From.Number {
		// another client's operation (or one kship does not own) is in
		// progress: rolling back under it would race it.
		return nil, c.pendingError(*l, hist, "kship did not start it, so it does not roll back under it")
	}
	if err := m.failFrom(ctx, c, hist, r); err != nil {
		return nil, err
	}
	if r.Target == nil {
		m.Env.Decide(event.StageRollback, fmt.Sprintf("helm uninstall %s/%s (history kept): revision %d was the first release", r.Namespace, c.Name, r.From.Number))
		op, err := c.Uninstall(ctx, fmt.Sprintf("kship: revision %d failed and had nothing to go back to", r.From.Number))
		m.report(event.StageRollback, op)
		return nil, err
	}
	to, is, err := m.restored(c, hist, r)
	if err != nil {
		return nil, err
	}
	if l := last(hist); l != nil && l.Number == to.Number && l.Status == StatusDeployed {
		m.Env.Decide(event.StageRollback, fmt.Sprintf("Helm revision %d (%s) is already the deployed one: nothing to roll back in Helm", to.Number, is))
		return r.Target.Objects, nil
	}
	m.Env.Decide(event.StageRollback, fmt.Sprintf("helm rollback %s %d -n %s: Helm revision %d is %s", c.Name, to.Number, r.Namespace, to.Number, is))
	desc := fmt.Sprintf("kship: rollback of revision %d to revision %d (Helm revision %d)", r.From.Number, r.Target.Number, to.Number)
	if r.Origin != nil {
		desc = fmt.Sprintf("kship: rollback of revision %d to Helm revision %d (%s)", r.From.Number, to.Number, r.Origin.By)
	}
	op, err := c.Rollback(ctx, RollbackRequest{To: to.Number, KshipRevision: r.Number, Description: desc})
	m.report(event.StageRollback, op)
	if err != nil {
		return r.Target.Objects, err
	}
	return r.Target.Objects, nil
}

// restored is the Helm revision a rollback to r.Target restores and what
// it is ("kship revision N", or the origin another client wrote).
func (m *Mechanism) restored(c *Client, hist []Revision, r rollout.Restore) (*Revision, string, error) {
	if o := r.Origin; o != nil {
		for i := range hist {
			if hist[i].Number == o.Number {
				return &hist[i], "what ran before kship, " + o.By, nil
			}
		}
		return nil, "", fmt.Errorf("%s keeps no Helm revision %d any more: roll back by hand with `helm history %s -n %s` and `helm rollback`", c, o.Number, c.Name, r.Namespace)
	}
	to := ForKship(hist, r.Target.Number)
	if to == nil {
		return nil, "", fmt.Errorf("%s keeps no Helm revision of kship revision %d (pruned by maxHistory %d?): roll back by hand with `helm history %s -n %s` and `helm rollback`",
			c, r.Target.Number, c.maxHistory(), c.Name, r.Namespace)
	}
	return to, fmt.Sprintf("kship revision %d", r.Target.Number), nil
}

// failFrom marks the Helm revision of the revision rolled back failed
// when kship's verification failed it (its kship outcome is still pending
// or failed) and Helm recorded it deployed or superseded (Helm does not
// wait), or left it pending (the write was cut short). A deployed
// revision rolled back by `kship rollback` or a drill is left as Helm
// leaves it after `helm rollback`: superseded.
func (m *Mechanism) failFrom(ctx context.Context, c *Client, hist []Revision, r rollout.Restore) error {
	from := ForKship(hist, r.From.Number)
	failed := r.From.Outcome == record.OutcomePending || r.From.Outcome == record.OutcomeFailed
	if from == nil || !(from.Good() || from.Pending()) || r.Forward || !failed {
		return nil
	}
	op, err := c.MarkFailed(ctx, from.Number, failedDescription(r))
	m.report(event.StageRollback, op)
	return err
}

// failedDescription is what `helm history` says of the Helm revision of a
// kship revision that failed: the revision kship rolls back to (the next
// Helm revision, the rollback, says whether that worked) and kship's
// trigger, last, as Helm truncates a long description. Without a trigger
// (kship rollback of a revision that failed before) the revision's own
// message, unless it is the "being deployed" of a run that never finished.
func failedDescription(r rollout.Restore) string {
	why := fmt.Sprintf("kship: revision %d failed", r.From.Number)
	switch {
	case r.Trigger != "" && r.Target != nil:
		to := fmt.Sprintf("revision %d", r.Target.Number)
		if r.Origin != nil {
			to = r.Origin.Name
		}
		return fmt.Sprintf("%s, kship rolls back to %s: %s", why, to, r.Trigger)
	case r.Trigger != "":
		return why + ": " + r.Trigger
	case r.From.Message != "" && r.From.Outcome != record.OutcomePending:
		return why + ": " + r.From.Message
	}
	return why
}
