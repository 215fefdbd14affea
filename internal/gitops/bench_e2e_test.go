//go:build bench

package gitops_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/event"
)

// stages are the times of one deploy's milestones, from its start.
type stages struct {
	start                                       time.Time
	checked, pushed, applied, ready, verified   time.Duration
	detected, reverted, revertApplied, restored time.Duration
}

// watch records the milestones of a deploy from its event stream.
func (s *stages) watch(e event.Event) {
	at := e.Time.Sub(s.start)
	switch {
	case e.Stage == event.StagePrepare && e.Type == event.TypeStageFinished:
		s.checked = at
	case e.Type == event.TypeGitCommit && e.Stage == event.StageRollout:
		s.pushed = at
	case e.Type == event.TypeGitCommit && e.Stage == event.StageRollback:
		s.reverted = at
	case e.Type == event.TypeDecision && strings.Contains(e.Message, " applied commit ") && e.Stage == event.StageRollout:
		s.applied = at
	case e.Type == event.TypeDecision && strings.Contains(e.Message, " applied commit ") && e.Stage == event.StageRollback:
		s.revertApplied = at
	case e.Type == event.TypeFailure && s.detected == 0:
		s.detected = at
	case e.Stage == event.StageRollout && e.Type == event.TypeStageFinished:
		s.ready = at
	case e.Stage == event.StageRollback && e.Type == event.TypeStageFinished:
		s.restored = at
	case e.Type == event.TypeDecision && strings.HasPrefix(e.Message, "verdict: verified"):
		s.verified = at
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%6.0f", float64(d)/float64(time.Millisecond)) }

// TestGitOpsStages prints, per stage, how long a gitops release takes
// against the real Flux controllers of the local environment: three good
// releases (push, Flux applied the commit, objects ready, verified), then
// a crash-looping one (detected, revert pushed, revert applied, rollback
// verified). Times are from the start of each deploy, in milliseconds.
func TestGitOpsStages(t *testing.T) {
	f := newFixture(t, "gitops-bench-")
	f.flux()
	t.Logf("%-10s %6s %6s %6s %6s %6s  (ms from the start of kship deploy)", "release", "checked", "pushed", "applied", "ready", "verified")
	for i, v := range []string{"v1", "v2", "v3"} {
		s := &stages{start: time.Now()}
		f.tap = s.watch
		f.expect(f.deploy(f.release(v, "")), 0)
		t.Logf("%-10s %6s %6s %6s %6s %6s  push→applied %s ms", fmt.Sprintf("good %d", i+1), ms(s.checked), ms(s.pushed), ms(s.applied), ms(s.ready), ms(s.verified), strings.TrimSpace(ms(s.applied-s.pushed)))
	}
	s := &stages{start: time.Now()}
	f.tap = s.watch
	f.expect(f.deploy(f.release("v4", "crashloop")), 3)
	t.Logf("%-10s %6s %6s %6s  detected %s, revert pushed %s, revert applied %s, rollback verified %s",
		"crashloop", ms(s.checked), ms(s.pushed), ms(s.applied), strings.TrimSpace(ms(s.detected)), strings.TrimSpace(ms(s.reverted)), strings.TrimSpace(ms(s.revertApplied)), strings.TrimSpace(ms(s.restored)))
}
