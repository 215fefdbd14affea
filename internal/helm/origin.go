package helm

import (
	"context"
	"fmt"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/rollout"
)

// Origin is what the Helm release ran before kship revision r.From, when
// kship has no earlier revision of its own: the Helm revision another
// client wrote that From's Helm revision replaced (Prior), with its
// manifest as objects. nil when Helm keeps none: kship then uninstalls.
func (m *Mechanism) Origin(ctx context.Context, r rollout.Restore) (*rollout.Origin, error) {
	if r.FromRelease == nil || r.FromRelease.Spec.Source.Helm == nil {
		return nil, nil
	}
	c := m.client(r.FromRelease, r.Namespace, event.StageRollback)
	hist, err := c.History(ctx)
	if err != nil {
		return nil, err
	}
	p := Prior(hist, r.From.Number)
	if p == nil {
		return nil, nil
	}
	rel, err := c.get(p.Number)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	objs, err := manifest.Decode(fmt.Sprintf("Helm revision %d manifest", p.Number), []byte(rel.Manifest))
	if err != nil {
		return nil, fmt.Errorf("%s: read the objects of Helm revision %d: %w", c, p.Number, err)
	}
	scope := manifest.NewScope(m.Env.Clients.Mapper, objs)
	for _, o := range objs {
		if ns, _ := scope.IsNamespaced(o.GVK()); ns && o.Obj.GetNamespace() == "" {
			o.Obj.SetNamespace(r.Namespace) // as Helm applied it
		}
	}
	return &rollout.Origin{Number: p.Number, Name: fmt.Sprintf("Helm revision %d", p.Number), By: writer(*p), Objects: objs,
		Command: fmt.Sprintf("helm rollback %s %d -n %s", c.Name, p.Number, r.Namespace)}, nil
}

// writer says who wrote Helm revision p, for the records.
func writer(p Revision) string {
	by := "installed by another client"
	if p.RollbackTo > 0 || p.Number > 1 {
		by = "written by another client"
	}
	if p.KshipRevision > 0 {
		by = fmt.Sprintf("written by kship revision %d, of which kship keeps no record", p.KshipRevision)
	}
	if p.Description != "" {
		by += ": " + p.Description
	}
	return by
}

// Prior is the Helm revision that ran before kship revision from's own
// Helm revision (before any, when Helm keeps none of it): the newest
// earlier revision that was deployed (deployed or superseded), skipping
// failed and pending ones. An uninstalled revision on the way means
// nothing ran before kship's: nil, as for no earlier revision at all.
func Prior(hist []Revision, from int) *Revision {
	before := 0
	if f := ForKship(hist, from); f != nil {
		before = f.Number
	}
	for i := len(hist) - 1; i >= 0; i-- {
		h := &hist[i]
		switch {
		case before > 0 && h.Number >= before, h.KshipRevision == from:
			continue
		case h.Status == StatusUninstalled:
			return nil
		case h.Good():
			return h
		}
	}
	return nil
}

// Running says what Helm runs of the release when it is not kship
// revision rev (what kship's record names as deployed): Helm's deployed
// revision was written by another client (a `helm rollback` by hand) or
// by another kship revision; "" when it is rev's own (or Helm keeps no
// deployed revision to compare). For kship status.
func (m *Mechanism) Running(ctx context.Context, rel *config.Release, ns string, rev int) (string, error) {
	if rel == nil || rel.Spec.Source.Helm == nil {
		return "", nil
	}
	c := m.client(rel, ns, event.StageRollout)
	hist, err := c.History(ctx)
	if err != nil {
		return "", err
	}
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		if h.Status != StatusDeployed {
			continue
		}
		if h.KshipRevision == rev {
			return "", nil
		}
		by := "another client"
		if h.KshipRevision > 0 {
			by = fmt.Sprintf("kship revision %d", h.KshipRevision)
		}
		if h.Description != "" {
			by += ": " + h.Description
		}
		return fmt.Sprintf("Helm's deployed revision is Helm revision %d, written by %s, not kship revision %d's: the cluster runs what `helm history %s -n %s` shows, not kship's record; the next kship deploy continues from Helm revision %d",
			h.Number, by, rev, c.Name, ns, h.Number), nil
	}
	return "", nil
}
