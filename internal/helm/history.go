package helm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// Helm's release statuses kship reads (Helm's own words).
const (
	StatusDeployed        = string(rcommon.StatusDeployed)
	StatusSuperseded      = string(rcommon.StatusSuperseded)
	StatusFailed          = string(rcommon.StatusFailed)
	StatusUninstalled     = string(rcommon.StatusUninstalled)
	StatusPendingInstall  = string(rcommon.StatusPendingInstall)
	StatusPendingUpgrade  = string(rcommon.StatusPendingUpgrade)
	StatusPendingRollback = string(rcommon.StatusPendingRollback)
)

// Revision is one revision of a Helm release, as `helm history` lists it.
type Revision struct {
	Number int    `json:"number"`
	Status string `json:"status"`
	// Chart is "name-version", AppVersion the chart's appVersion.
	Chart       string    `json:"chart"`
	AppVersion  string    `json:"appVersion,omitempty"`
	Description string    `json:"description"`
	Updated     time.Time `json:"updated"`
	// KshipRevision is the kship revision that wrote it (LabelRevision,
	// when LabelHelmRevision is this revision's number); 0 for a revision
	// another client wrote.
	KshipRevision int `json:"kshipRevision,omitempty"`
	// RollbackTo is the revision a rollback revision restored (0 for an
	// install or upgrade).
	RollbackTo int `json:"rollbackTo,omitempty"`
	// ServerSide says Helm applied the revision server-side (Helm 4's
	// "ssa"); a Helm 3 client, or Helm 4 with --server-side=false, applies
	// client-side.
	ServerSide bool `json:"serverSide,omitempty"`
}

// Pending reports whether an operation on the release is in progress or
// was left unfinished.
func (r Revision) Pending() bool { return rcommon.Status(r.Status).IsPending() }

// Good reports whether the revision ran as the deployed one (deployed now,
// or superseded by a later one): what a rollback may go back to.
func (r Revision) Good() bool { return r.Status == StatusDeployed || r.Status == StatusSuperseded }

// History returns the release's revisions, oldest first; none when the
// release does not exist.
func (c *Client) History(ctx context.Context) ([]Revision, error) {
	rels, err := c.releases(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Revision, len(rels))
	for i, r := range rels {
		out[i] = revisionOf(r)
	}
	return out, nil
}

// releases returns the release's stored revisions, oldest first.
func (c *Client) releases(ctx context.Context) ([]*release.Release, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hist, err := c.store.History(c.Name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: read its history: %w", c, err)
	}
	var out []*release.Release
	for _, h := range hist {
		r, ok := h.(*release.Release)
		if !ok {
			return nil, fmt.Errorf("%s: a revision is a %T, not a chart v2 release; kship releases chart v2 releases only", c, h)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

func revisionOf(r *release.Release) Revision {
	rev := Revision{Number: r.Version, ServerSide: r.ApplyMethod == string(release.ApplyMethodServerSideApply)}
	if r.Info != nil {
		rev.Status, rev.Description, rev.Updated, rev.RollbackTo = string(r.Info.Status), r.Info.Description, r.Info.LastDeployed, r.Info.RollbackRevision
	}
	if r.Chart != nil && r.Chart.Metadata != nil {
		rev.Chart = r.Chart.Metadata.Name + "-" + r.Chart.Metadata.Version
		rev.AppVersion = r.Chart.Metadata.AppVersion
	}
	if n, err := strconv.Atoi(r.Labels[LabelRevision]); err == nil && r.Labels[LabelHelmRevision] == strconv.Itoa(r.Version) {
		rev.KshipRevision = n
	}
	return rev
}

// last returns the newest revision of hist, nil when empty.
func last(hist []Revision) *Revision {
	if len(hist) == 0 {
		return nil
	}
	return &hist[len(hist)-1]
}

// lastGood returns the newest good revision older than before (any when
// before is 0), nil when there is none.
func lastGood(hist []Revision, before int) *Revision {
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].Good() && (before == 0 || hist[i].Number < before) {
			return &hist[i]
		}
	}
	return nil
}

// upgradesClientSide reports whether the next write, an upgrade, first
// moves the fields Helm owns through client-side updates to its
// server-side apply: Helm 4 does so when the release it upgrades (the
// deployed revision, else the last) was applied client-side, as a Helm 3
// client applies.
func upgradesClientSide(hist []Revision) bool {
	if act, _ := Next(hist); act != ActionUpgrade {
		return false
	}
	cur := last(hist)
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].Status == StatusDeployed {
			cur = &hist[i]
			break
		}
	}
	return !cur.ServerSide
}

// ForKship returns the newest revision that kship revision n wrote (an
// install, upgrade or rollback), nil when Helm keeps none.
func ForKship(hist []Revision, n int) *Revision {
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].KshipRevision == n {
			return &hist[i]
		}
	}
	return nil
}

// Next is what the next write to a release with history hist is: "install"
// or "upgrade", decided as the Helm CLI's `helm upgrade --install` decides
// it (no history, or a last revision that was uninstalled, installs), and
// the revision number Helm will give it.
func Next(hist []Revision) (action string, number int) {
	l := last(hist)
	switch {
	case l == nil:
		return ActionInstall, 1
	case l.Status == StatusUninstalled:
		return ActionInstall, l.Number + 1
	}
	return ActionUpgrade, l.Number + 1
}
