package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/kship/kship/internal/event"
)

// Summary renders the lines printed at the end of a deploy or rollback:
// outcome, exit code, revision, duration, what was checked, where the
// evidence is, and the manual steps when a human must act.
func Summary(kind string, o *event.Outcome) string {
	return summary(kind, o, true)
}

// Summary is the package's Summary without the outcome's summary line
// when the last line the view printed was a decision in those very words
// (a refusal: "→ refused, nothing applied: …" just above), so it is said
// once.
func (v *View) Summary(kind string, o *event.Outcome) string {
	v.mu.Lock()
	said := v.lastDecision
	v.mu.Unlock()
	return summary(kind, o, v.mode == JSON || said != o.Summary)
}

func summary(kind string, o *event.Outcome, withSummary bool) string {
	var s strings.Builder
	fmt.Fprintf(&s, "\n%s %s/%s: %s (exit %d)\n", kind, o.Namespace, o.Release, o.Verdict, o.ExitCode)
	if withSummary {
		fmt.Fprintf(&s, "  %s\n", o.Summary)
	}
	if o.Revision > 0 {
		fmt.Fprintf(&s, "  revision:  %d\n", o.Revision)
	}
	switch {
	case o.RollbackRevision > 0 && o.RestoredOrigin != nil:
		fmt.Fprintf(&s, "  rollback:  restored %s, recorded as revision %d\n", o.RestoredOrigin, o.RollbackRevision)
	case o.RollbackRevision > 0:
		fmt.Fprintf(&s, "  rollback:  restored revision %d, recorded as revision %d\n", o.RestoredRevision, o.RollbackRevision)
	}
	fmt.Fprintf(&s, "  duration:  %s\n", o.Duration().Round(100*time.Millisecond))
	if o.Trigger != "" {
		fmt.Fprintf(&s, "  trigger:   %s\n", o.Trigger)
	}
	if len(o.Checked) == 0 && o.Verdict != event.Refused {
		s.WriteString("  checked:   nothing was verified\n")
	}
	for i, c := range o.Checked {
		label := "  checked:   "
		if i > 0 {
			label = "             "
		}
		s.WriteString(label + c + "\n")
	}
	if o.EvidenceDir != "" {
		fmt.Fprintf(&s, "  evidence:  %s\n", o.EvidenceDir)
	}
	if o.ManualSteps != "" {
		s.WriteString("  ACTION NEEDED: " + strings.ReplaceAll(strings.TrimSpace(o.ManualSteps), "\n", "\n    ") + "\n")
	}
	return s.String()
}
