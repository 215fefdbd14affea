package rollback

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
)

// Target picks the revision a rollback of from restores: the one asked for
// (to > 0), or the newest earlier revision that was deployed, skipping the
// revision a rollback undid and any with the very objects of from (nil:
// none; see Refusal).
func Target(ctx context.Context, h History, revs []record.Revision, from *record.Revision, to int) (*record.Revision, error) {
	if to > 0 {
		if to == from.Number {
			return nil, fmt.Errorf("revision %d is the current revision: pick an earlier one (kship history %s)", to, from.Release)
		}
		rev, err := h.Get(ctx, from.Namespace, from.Release, to)
		if errors.Is(err, record.ErrNotFound) {
			return nil, fmt.Errorf("release %s/%s has no revision %d (kept: the last %d; see kship history %s)", from.Namespace, from.Release, to, record.DefaultKeep, from.Release)
		}
		return rev, err
	}
	for i := range revs {
		rev := &revs[i]
		// Skip the revision a rollback undid, and a revision with the very
		// objects of the current one (the one a rollback restored): rolling
		// back to it would change nothing.
		if rev.Number >= from.Number || rev.Number == from.RollbackOf || sameObjects(rev.Objects, from.Objects) {
			continue
		}
		if rev.Outcome == record.OutcomeDeployed || rev.Outcome == record.OutcomeSuperseded {
			return rev, nil
		}
	}
	return nil, nil
}

// Refusal says why a rollback of from that found no target must not run
// ("" when it may: the release was never deployed, so removing what it
// created is the rollback). A rollback never removes a deployed release.
func Refusal(revs []record.Revision, from *record.Revision) string {
	if !everDeployed(revs) {
		return ""
	}
	var same []string
	for _, rev := range revs {
		if rev.Number < from.Number && rev.Number != from.RollbackOf && sameObjects(rev.Objects, from.Objects) {
			same = append(same, fmt.Sprintf("%d", rev.Number))
		}
	}
	why := fmt.Sprintf("revision %d has no earlier revision that was deployed", from.Number)
	if len(same) > 0 {
		why = fmt.Sprintf("every earlier deployed revision holds revision %d's very objects (revision %s)", from.Number, strings.Join(same, ", "))
		if from.RollbackOf > 0 {
			why += fmt.Sprintf(" or is revision %d, which it rolled back", from.RollbackOf)
		}
	}
	msg := fmt.Sprintf("nothing to roll back to: %s; nothing was changed. A rollback never removes a deployed release", why)
	if n := newestEarlier(revs, from); n > 0 {
		msg += fmt.Sprintf("; to restore an earlier revision all the same: kship rollback %s -n %s --to-revision %d (kship history %s -n %s lists them)",
			from.Release, from.Namespace, n, from.Release, from.Namespace)
	}
	return msg
}

// newestEarlier is the number of the newest revision kept before from,
// other than the one from rolled back (0: none), the only kind of revision
// --to-revision can restore.
func newestEarlier(revs []record.Revision, from *record.Revision) int {
	n := 0
	for _, rev := range revs {
		if rev.Number < from.Number && rev.Number != from.RollbackOf && rev.Number > n {
			n = rev.Number
		}
	}
	return n
}

// everDeployed reports whether any revision of revs was deployed (running
// now, or replaced later by a newer one).
func everDeployed(revs []record.Revision) bool {
	for _, rev := range revs {
		if rev.Outcome == record.OutcomeDeployed || rev.Outcome == record.OutcomeSuperseded {
			return true
		}
	}
	return false
}

// sameObjects reports whether two revisions hold exactly the same objects.
func sameObjects(a, b []manifest.Object) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !reflect.DeepEqual(a[i].Obj.Object, b[i].Obj.Object) {
			return false
		}
	}
	return true
}
