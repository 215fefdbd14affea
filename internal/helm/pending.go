package helm

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// PendingError says the release's last revision is pending-install,
// pending-upgrade or pending-rollback and kship will not write it: another
// client's operation may still be running (or died; only a human can tell).
// Its message names the exact state and the commands a human would run.
type PendingError struct {
	Release, Namespace string
	// Revision is the pending revision.
	Revision Revision
	// Good is the revision a rollback would restore (0: none, uninstall).
	Good int
	// Why says why kship does not recover it itself.
	Why string
}

func (e *PendingError) Error() string {
	r := e.Revision
	since := ""
	if !r.Updated.IsZero() {
		since = ", since " + r.Updated.UTC().Format(time.RFC3339)
	}
	who := "another client"
	if r.KshipRevision > 0 {
		who = fmt.Sprintf("kship revision %d", r.KshipRevision)
	}
	msg := fmt.Sprintf("Helm release %s/%s is %s at revision %d (%q by %s%s)", e.Namespace, e.Release, r.Status, r.Number, r.Description, who, since)
	if e.Why != "" {
		msg += ": " + e.Why
	}
	return msg + "; kship changed nothing. " + e.Commands()
}

// Commands are what a human runs once sure no helm or kship operation on
// the release is still running.
func (e *PendingError) Commands() string {
	ns := e.Namespace
	steps := []string{fmt.Sprintf("`helm history %s -n %s` and `helm status %s -n %s` to see who left it", e.Release, ns, e.Release, ns)}
	if e.Good > 0 {
		steps = append(steps, fmt.Sprintf("`helm rollback %s %d -n %s` (back to the last good revision %d; it ends the pending one)", e.Release, e.Good, ns, e.Good))
	} else {
		steps = append(steps, fmt.Sprintf("`helm uninstall %s -n %s --keep-history` (it has no good revision to go back to)", e.Release, ns))
	}
	steps = append(steps, "then deploy again")
	return "If no operation is running: " + strings.Join(steps, ", ") + "."
}

// Pending returns the release's last revision when it is pending, nil
// otherwise (no release, or it ended).
func (c *Client) Pending(ctx context.Context) (*Revision, error) {
	hist, err := c.History(ctx)
	if err != nil {
		return nil, err
	}
	if l := last(hist); l != nil && l.Pending() {
		return l, nil
	}
	return nil, nil
}

// Refuse returns the PendingError for the release's pending revision p,
// with why kship does not recover it.
func (c *Client) Refuse(ctx context.Context, p Revision, why string) error {
	hist, err := c.History(ctx)
	if err != nil {
		return err
	}
	return c.pendingError(p, hist, why)
}

func (c *Client) pendingError(p Revision, hist []Revision, why string) *PendingError {
	e := &PendingError{Release: c.Name, Namespace: c.Namespace, Revision: p, Why: why}
	if g := lastGood(hist, p.Number); g != nil {
		e.Good = g.Number
	}
	return e
}

// Recover ends the pending revision p that an interrupted kship run left
// (the caller has proven it: the run's lock and revision record), the way
// PendingError tells a human to: p is marked failed with why, then the
// release is rolled back with Helm's rollback to its last good revision,
// which deletes what the interrupted run added and restores what it
// changed; with no good revision (an interrupted first install) it is
// uninstalled, history kept. The rollback revision keeps the label of the
// revision it restores (Helm copies it): it is that kship revision again.
// It returns the operations, in order.
func (c *Client) Recover(ctx context.Context, p Revision, why string) ([]*Operation, error) {
	hist, err := c.History(ctx)
	if err != nil {
		return nil, err
	}
	if l := last(hist); l == nil || l.Number != p.Number || !l.Pending() {
		return nil, fmt.Errorf("%s: revision %d is no longer the pending one; nothing recovered", c, p.Number)
	}
	mark, err := c.MarkFailed(ctx, p.Number, "interrupted: "+why)
	ops := []*Operation{mark}
	if err != nil {
		return ops, err
	}
	mark.Action = ActionRecover
	good := lastGood(hist, p.Number)
	if good == nil {
		op, err := c.Uninstall(ctx, fmt.Sprintf("kship: uninstalled after interrupted revision %d (no good revision)", p.Number))
		return append(ops, op), err
	}
	op, err := c.Rollback(ctx, RollbackRequest{To: good.Number,
		Description: fmt.Sprintf("kship: rollback to %d, recovering interrupted revision %d", good.Number, p.Number)})
	return append(ops, op), err
}
