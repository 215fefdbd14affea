package helm

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// Helm's ownership metadata, which Helm sets on every object of a release
// (and checks before it adopts an existing one).
const (
	labelManagedBy          = "app.kubernetes.io/managed-by"
	annotationReleaseName   = "meta.helm.sh/release-name"
	annotationReleaseNS     = "meta.helm.sh/release-namespace"
	managedByHelm           = "Helm"
	checkEvidenceHelmRecord = "Helm's release history (its storage Secrets, owner=helm) and kship's revision record"
)

// Prepare is the helm mechanism's part of Plan and Prepare: the objects
// with Helm's ownership metadata (Helm sets it on every object it writes,
// so the plan's dry-run shows what Helm's apply will do), Helm's field
// manager, the plan's line ("Helm revision N of release R ...") and one
// check: a pending revision blocks unless kship's own interrupted run left
// it (then the deploy recovers it first). Offline (no clients) the
// release's history is not read.
func (m *Mechanism) Prepare(ctx context.Context, t rollout.Target) (*rollout.Preparation, error) {
	name := releaseName(t.Release)
	p := &rollout.Preparation{Objects: withOwnership(t.Objects, name, t.Namespace, chartDir(t.Release)), FieldManager: FieldManager}
	if m.Env.Clients == nil {
		p.Plan = fmt.Sprintf("a revision of Helm release %s/%s with these %d objects (its history is not read offline); Helm runs the chart's hooks", t.Namespace, name, len(t.Objects))
		return p, nil
	}
	c := m.client(t.Release, t.Namespace, event.StagePrepare)
	hist, err := c.History(ctx)
	if err != nil {
		return nil, err
	}
	act, number := Next(hist)
	p.Plan = fmt.Sprintf("Helm revision %d of release %s/%s (%s%s) with these %d objects; Helm runs the chart's hooks and keeps %d revisions",
		number, t.Namespace, name, act, since(hist), len(t.Objects), c.maxHistory())
	if p.UpgradesClientSide = upgradesClientSide(hist); p.UpgradesClientSide {
		p.Plan += "; the release was applied client-side (a Helm 3 client, or --server-side=false): Helm first moves the fields it owns that way to its server-side apply"
	}
	p.Checks = append(p.Checks, m.pendingCheck(ctx, c, t, hist))
	return p, nil
}

// since says what an upgrade upgrades.
func since(hist []Revision) string {
	l := last(hist)
	if l == nil {
		return ", first install"
	}
	s := fmt.Sprintf(" after revision %d, %s", l.Number, l.Status)
	if l.KshipRevision == 0 {
		s += ", written by another client: kship adopts the release and continues its history"
	}
	return s
}

// pendingCheck is the check of the release's last Helm revision.
func (m *Mechanism) pendingCheck(ctx context.Context, c *Client, t rollout.Target, hist []Revision) rollout.Check {
	l := last(hist)
	if l == nil || !l.Pending() {
		msg := fmt.Sprintf("%s has no operation in progress", c)
		if l != nil {
			msg = fmt.Sprintf("%s: last revision %d is %s; no operation in progress", c, l.Number, l.Status)
		}
		return rollout.Check{Message: msg, Evidence: checkEvidenceHelmRecord}
	}
	why, own := m.ownInterrupted(ctx, t.Release, t.Namespace, *l)
	if own {
		return rollout.Check{Warning: true, Evidence: checkEvidenceHelmRecord,
			Message: fmt.Sprintf("%s is %s at revision %d, left by %s: deploy recovers it first (marked failed, then Helm's rollback to the last good revision), then writes", c, l.Status, l.Number, why)}
	}
	if l.KshipRevision > 0 {
		// kship's, not (yet) proven dead: the lock decides at deploy time.
		return rollout.Check{Warning: true, Evidence: checkEvidenceHelmRecord,
			Message: fmt.Sprintf("%s is %s at revision %d, left by %s; deploy takes the lock first: a live run refuses it, a dead one's revision is recovered", c, l.Status, l.Number, why)}
	}
	return rollout.Check{Blocking: true, Evidence: checkEvidenceHelmRecord, Message: c.pendingError(*l, hist, why).Error()}
}

// withOwnership returns copies of objs carrying Helm's ownership metadata
// of release name in ns; the chart's crds/ objects, which Helm installs
// without it, are left as they are.
func withOwnership(objs []manifest.Object, name, ns, chartDir string) []manifest.Object {
	pr := &pinned{chartDir: chartDir}
	out := make([]manifest.Object, len(objs))
	for i, o := range objs {
		out[i] = o
		if _, crd := pr.template(o.Source.File); crd {
			continue
		}
		u := o.Obj.DeepCopy()
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[labelManagedBy] = managedByHelm
		u.SetLabels(labels)
		ann := u.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[annotationReleaseName], ann[annotationReleaseNS] = name, ns
		u.SetAnnotations(ann)
		out[i].Obj = u
	}
	return out
}
