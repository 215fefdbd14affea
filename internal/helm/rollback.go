package helm

import (
	"context"
	"fmt"
	"strconv"

	"helm.sh/helm/v4/pkg/action"
	helmkube "helm.sh/helm/v4/pkg/kube"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
)

// RollbackRequest is one rollback through Helm's rollback action.
type RollbackRequest struct {
	// To is the Helm revision to restore.
	To int
	// KshipRevision is the kship revision the rollback is recorded as: the
	// new Helm revision's LabelRevision.
	KshipRevision int
	// Description is the new revision's description in `helm history`.
	Description string
}

// Rollback restores Helm revision req.To as `helm rollback` does (without
// --wait): Helm runs the rollback hooks, re-applies that revision's
// manifest server-side (ConfigMaps and Secrets included), recreates what
// was deleted since, deletes what was added, and records a new revision,
// the deployed one. The kship revision it is recorded as replaces the
// label Helm copied from the restored revision.
func (c *Client) Rollback(ctx context.Context, req RollbackRequest) (*Operation, error) {
	defer defaultLog.run(c)()
	hist, err := c.History(ctx)
	if err != nil {
		return nil, err
	}
	l := last(hist)
	if l == nil {
		return nil, fmt.Errorf("%s: roll back to revision %d: %w", c, req.To, errNoRelease)
	}
	op := &Operation{Action: ActionRollback, Release: c.Name, Namespace: c.Namespace, Revision: l.Number + 1, From: l.Number, To: req.To, Started: c.now()}
	rb := action.NewRollback(c.cfg)
	rb.Version, rb.Description, rb.MaxHistory = req.To, req.Description, c.maxHistory()
	rb.WaitStrategy, rb.Timeout = helmkube.HookOnlyStrategy, c.hookTimeout()
	rb.ServerSideApply, rb.ForceConflicts = "true", true // kship restores what it released before: its fields
	err = rb.Run(c.Name)
	if err == nil {
		err = ctx.Err()
	}
	rel, gerr := c.get(op.Revision)
	if gerr == nil {
		if err == nil {
			gerr = c.relabel(rel, req.KshipRevision)
		}
		c.finish(op, rel, err)
	} else {
		c.finish(op, nil, err)
	}
	if err == nil {
		err = gerr
	}
	if err != nil {
		return op, fmt.Errorf("%s: helm rollback to revision %d: %w", c, req.To, err)
	}
	return op, nil
}

// Uninstall removes the release's objects as `helm uninstall
// --keep-history` does (its delete hooks run, objects annotated
// helm.sh/resource-policy: keep stay), leaving the history with the last
// revision uninstalled: the next install reuses the name and continues
// the numbering.
func (c *Client) Uninstall(ctx context.Context, description string) (*Operation, error) {
	defer defaultLog.run(c)()
	op := &Operation{Action: ActionUninstall, Release: c.Name, Namespace: c.Namespace, Started: c.now()}
	un := action.NewUninstall(c.cfg)
	un.KeepHistory, un.Description = true, description
	un.WaitStrategy, un.Timeout = helmkube.HookOnlyStrategy, c.hookTimeout()
	res, err := un.Run(c.Name)
	if err == nil {
		err = ctx.Err()
	}
	var rel *release.Release
	if res != nil {
		rel, _ = res.Release.(*release.Release)
	}
	c.finish(op, rel, err)
	if err != nil {
		return op, fmt.Errorf("%s: helm uninstall: %w", c, err)
	}
	return op, nil
}

// MarkFailed records that Helm revision n failed, with why, as Helm
// itself records a failed upgrade: kship's verdict on a revision Helm had
// marked deployed (Helm does not wait for readiness here) or on one an
// interrupted run left pending. `helm history` then tells the truth.
func (c *Client) MarkFailed(ctx context.Context, n int, why string) (*Operation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	op := &Operation{Action: ActionMarkFailed, Release: c.Name, Namespace: c.Namespace, Revision: n, Started: c.now()}
	rel, err := c.get(n)
	if err == nil {
		rel.SetStatus(rcommon.StatusFailed, truncate(why, action.MaxDescriptionLength))
		err = c.store.Update(rel)
	}
	c.finish(op, rel, err)
	if err != nil {
		return op, fmt.Errorf("%s: mark revision %d failed: %w", c, n, err)
	}
	op.Hooks = nil
	return op, nil
}

// get reads Helm revision n.
func (c *Client) get(n int) (*release.Release, error) {
	r, err := c.store.Get(c.Name, n)
	if err != nil {
		return nil, fmt.Errorf("read Helm revision %d: %w", n, err)
	}
	rel, ok := r.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("Helm revision %d is a %T, not a chart v2 release", n, r)
	}
	return rel, nil
}

// relabel records the kship revision that wrote rel.
func (c *Client) relabel(rel *release.Release, kshipRevision int) error {
	if kshipRevision == 0 {
		return nil
	}
	labels := map[string]string{}
	for k, v := range rel.Labels {
		labels[k] = v
	}
	labels[LabelRevision], labels[LabelHelmRevision] = strconv.Itoa(kshipRevision), strconv.Itoa(rel.Version)
	rel.Labels = labels
	if err := c.store.Update(rel); err != nil {
		return fmt.Errorf("label Helm revision %d with kship revision %d: %w", rel.Version, kshipRevision, err)
	}
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
