package helm

import (
	"testing"

	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
)

// The description `helm history` shows on the Helm revision of a failed
// kship revision: kship's trigger, never the "being deployed"
// message the revision is recorded with while it runs.
func TestFailedDescription(t *testing.T) {
	pending := &record.Revision{Number: 3, Outcome: record.OutcomePending, Message: "being deployed by root@host pid 42"}
	for _, tc := range []struct {
		name string
		r    rollout.Restore
		want string
	}{
		{"a failed deploy rolled back: its trigger and the target",
			rollout.Restore{From: pending, Target: &record.Revision{Number: 2}, Trigger: "Deployment shop/web: pod web-1: CrashLoopBackOff"},
			"kship: revision 3 failed, kship rolls back to revision 2: Deployment shop/web: pod web-1: CrashLoopBackOff"},
		{"a failed first release removed",
			rollout.Restore{From: pending, Trigger: "smoke check health failed"},
			"kship: revision 3 failed: smoke check health failed"},
		{"no trigger, still pending: not its running message",
			rollout.Restore{From: pending, Target: &record.Revision{Number: 2}},
			"kship: revision 3 failed"},
		{"no trigger, failed before: its message",
			rollout.Restore{From: &record.Revision{Number: 3, Outcome: record.OutcomeFailed, Message: "failed, not rolled back (rollback.method: manual): OOMKilled"}},
			"kship: revision 3 failed: failed, not rolled back (rollback.method: manual): OOMKilled"},
	} {
		if got := failedDescription(tc.r); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
