package record

import "github.com/kship/kship/internal/manifest"

// Arithmetic over a release's history, revisions newest first (as List
// returns them).

// NextNumber is the number of the next revision.
func NextNumber(revs []Revision) int {
	n := 0
	for _, r := range revs {
		if r.Number > n {
			n = r.Number
		}
	}
	return n + 1
}

// LastDeployed is the newest revision whose outcome is deployed, or nil.
func LastDeployed(revs []Revision) *Revision {
	for i := range revs {
		if revs[i].Outcome == OutcomeDeployed {
			return &revs[i]
		}
	}
	return nil
}

// Restorable is the revision an automatic rollback of the next release
// restores: the last deployed one or, in a history that names none (left by
// an older kship whose failed rollback marked it failed), the newest one
// that was deployed and later replaced. nil only for a release that was
// never deployed.
func Restorable(revs []Revision) *Revision {
	if rev := LastDeployed(revs); rev != nil {
		return rev
	}
	for i := range revs {
		if revs[i].Outcome == OutcomeSuperseded {
			return &revs[i]
		}
	}
	return nil
}

// Live are the objects that may be live from earlier revisions: the last
// deployed revision's, plus those of every newer revision that did not end
// cleanly (interrupted, or failed without a verified rollback). A new
// revision prunes what it lacks of these.
func Live(revs []Revision) []manifest.Object {
	var out []manifest.Object
	seen := map[manifest.Ref]bool{}
	for _, r := range revs {
		if r.Outcome == OutcomeRolledBack || r.Outcome == OutcomeSuperseded {
			continue
		}
		for _, o := range r.Objects {
			if !seen[o.Ref()] {
				seen[o.Ref()] = true
				out = append(out, o)
			}
		}
		if r.Outcome == OutcomeDeployed {
			break
		}
	}
	return out
}

// ObjectsOf returns a revision's objects, nil for no revision.
func ObjectsOf(rev *Revision) []manifest.Object {
	if rev == nil {
		return nil
	}
	return rev.Objects
}
