package rollback

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
)

// Steps are the steps to roll rev (deployed with rel) back to target (nil:
// remove the release), by kship and by hand, for rollback.md; live are the
// objects earlier revisions may have left.
func Steps(ns, name string, rev, target *record.Revision, live []manifest.Object, rel *config.Release) evidence.RollbackSteps {
	all := manifest.Without(manifest.Union(rev.Objects, live), rev.Adopted)
	var downs []string
	for _, j := range manifest.Jobs(rev.Objects, rel.DownJobs()) {
		downs = append(downs, j.Obj.GetName())
	}
	st := evidence.RollbackSteps{Command: fmt.Sprintf("kship rollback %s -n %s", name, ns), DownJobs: downs}
	if len(downs) > 0 {
		st.OwnManifests = record.ShowManifestsCommand(ns, name, rev.Number)
	}
	if target == nil {
		st.Delete = manifest.Refs(all)
		return st
	}
	st.Command += fmt.Sprintf(" --to-revision %d", target.Number)
	st.TargetRevision = target.Number
	st.ShowManifests = record.ShowManifestsCommand(ns, name, target.Number)
	st.Delete = manifest.Refs(manifest.Missing(all, target.Objects))
	st.Recreate = manifest.Refs(manifest.Missing(target.Objects, rev.Objects))
	return st
}

// OriginSteps are st (Steps without a target) for a rollback that
// restores o, what ran before kship's first revision, instead of removing
// the release: the mechanism's own rollback restores it and deletes what
// the revision added, so nothing is listed to delete.
func OriginSteps(st evidence.RollbackSteps, o *rollout.Origin) evidence.RollbackSteps {
	if o == nil {
		return st
	}
	st.Origin, st.OriginCommand, st.Delete = o.Ref(), o.Command, nil
	return st
}

// ManualSteps is what to do by hand when kship did not (or could not) roll
// back: the kship command, and rollback.md in dir for kubectl.
func ManualSteps(dir string, st evidence.RollbackSteps) string {
	var s strings.Builder
	s.WriteString("roll back with kship:\n  " + st.Command + "\n")
	if dir != "" {
		fmt.Fprintf(&s, "or by hand with kubectl: see %s/%s\n", dir, evidence.RollbackFile)
	}
	return s.String()
}
