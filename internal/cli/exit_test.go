package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/view"
)

// TestVerdictExitCodesAreTotal: every verdict has its own exit code (but
// incomplete, which shares 4 with rollback-failed: a human must act), none
// of them "input error", and every code but 0 and 1 is some verdict's (the
// code table and the verdicts cannot drift apart).
func TestVerdictExitCodesAreTotal(t *testing.T) {
	byCode := map[int]event.Verdict{}
	for _, v := range event.Verdicts {
		c := v.ExitCode()
		if !slices.Contains(exitcode.All, c) || c == exitcode.Input {
			t.Errorf("verdict %s exits %d: not a verdict's code of exitcode.All", v, c)
		}
		if other, dup := byCode[c]; dup && c != exitcode.RollbackFailed {
			t.Errorf("verdicts %s and %s both exit %d", other, v, c)
		}
		byCode[c] = v
	}
	for _, c := range exitcode.All {
		if _, ok := byCode[c]; !ok && c != exitcode.Input {
			t.Errorf("exit code %d (%s) is no verdict's", c, exitcode.Meaning(c))
		}
		if exitcode.Meaning(c) == "" {
			t.Errorf("exit code %d has no meaning", c)
		}
	}
	if got := event.Verdict("made-up").ExitCode(); got != exitcode.Input {
		t.Errorf("an unknown verdict exits %d, want %d", got, exitcode.Input)
	}
	if exitcode.Meaning(42) != "" {
		t.Error("code 42 has a meaning")
	}
}

// TestExitCodeOfEveryError: each kind of error a command returns maps to
// one code, wrapped or not.
func TestExitCodeOfEveryError(t *testing.T) {
	outcome := func(v event.Verdict) *event.Outcome {
		return &event.Outcome{Verdict: v, ExitCode: v.ExitCode(), Summary: string(v)}
	}
	_, flagErr := parseWith(t, NewFactory(), NewCmdPlan, []string{"plan", "--no-such-flag"})
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitcode.OK},
		{"plain error", errors.New("boom"), exitcode.Input},
		{"flag error", flagErr, exitcode.Input},
		{"cancelled", context.Canceled, exitcode.Input},
		{"input", inputErr(errors.New("bad")), exitcode.Input},
		{"refused", refused(errors.New("blocked")), exitcode.Refused},
		{"wrapped refusal", fmt.Errorf("check: %w", refused(errors.New("blocked"))), exitcode.Refused},
		{"outcome rolled back", &outcomeError{out: outcome(event.RolledBack)}, exitcode.RolledBack},
		{"outcome refused", &outcomeError{out: outcome(event.Refused)}, exitcode.Refused},
		{"outcome unverified", &outcomeError{out: outcome(event.Unverified)}, exitcode.Unverified},
		{"outcome rollback failed", &outcomeError{out: outcome(event.RollbackFailed)}, exitcode.RollbackFailed},
		{"outcome not finished", &outcomeError{out: outcome(event.Verified), err: errors.New("record revision 3: conflict")}, exitcode.RollbackFailed},
		{"wrapped outcome", fmt.Errorf("deploy: %w", &outcomeError{out: outcome(event.RolledBack)}), exitcode.RolledBack},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestFinishMapsEveryVerdict: deploy and rollback end through finish; each
// verdict comes out as its code, success as no error at all.
func TestFinishMapsEveryVerdict(t *testing.T) {
	v := view.New(io.Discard, view.Plain, time.Now())
	for _, verdict := range event.Verdicts {
		out := &event.Outcome{Verdict: verdict, ExitCode: verdict.ExitCode(), Summary: "s"}
		err := finish(v, "deploy", out, nil)
		if got := ExitCode(err); got != verdict.ExitCode() {
			t.Errorf("%s: exit %d, want %d", verdict, got, verdict.ExitCode())
		}
		if (err == nil) != (verdict == event.Verified) {
			t.Errorf("%s: error %v", verdict, err)
		}
	}
	if got := ExitCode(finish(v, "deploy", nil, errors.New("bad release file"))); got != exitcode.Input {
		t.Errorf("no outcome: exit %d, want 1", got)
	}
	out := &event.Outcome{Verdict: event.Verified, ExitCode: exitcode.OK}
	if got := ExitCode(finish(v, "deploy", out, errors.New("evidence: disk full"))); got != exitcode.RollbackFailed {
		t.Errorf("outcome with error: exit %d, want 4", got)
	}
}

// TestRefusalIsPrintedOnce: a refused rollback prints its reason once: the
// decision line says it, the summary after it does not repeat it, and no
// "error:" line on stderr says it a third time; an attempt that could not
// finish still gets its error line.
func TestRefusalIsPrintedOnce(t *testing.T) {
	const reason = "nothing to roll back to: revision 1 has no earlier revision that was deployed; nothing was changed"
	var stdout, stderr bytes.Buffer
	root := newRoot(NewFactory(), &cobra.Command{Use: "rollback", RunE: func(*cobra.Command, []string) error {
		v := view.New(&stdout, view.Plain, time.Now())
		out := &event.Outcome{Release: "shop", Namespace: "tour", Verdict: event.Refused, ExitCode: exitcode.Refused,
			Summary: "refused, nothing applied: " + reason}
		v.Emit(event.Event{Time: time.Now(), Stage: event.StagePrepare, Type: event.TypeDecision, Message: out.Summary})
		return finish(v, "rollback", out, nil)
	}})
	root.SetArgs([]string{"rollback"})
	if code := runRoot(root, &stderr); code != exitcode.Refused {
		t.Fatalf("exit %d, want 2", code)
	}
	all := stdout.String() + stderr.String()
	if n := strings.Count(all, reason); n != 1 {
		t.Errorf("the reason is printed %d times, want once:\n%s", n, all)
	}
	if !strings.Contains(stdout.String(), "rollback tour/shop: refused (exit 2)") {
		t.Errorf("no summary line:\n%s", stdout.String())
	}

	stderr.Reset()
	root = newRoot(NewFactory(), &cobra.Command{Use: "deploy", RunE: func(*cobra.Command, []string) error {
		return finish(view.New(io.Discard, view.Plain, time.Now()), "deploy", &event.Outcome{Verdict: event.Verified}, errors.New("evidence: disk full"))
	}})
	root.SetArgs([]string{"deploy"})
	if code := runRoot(root, &stderr); code != exitcode.RollbackFailed || !strings.Contains(stderr.String(), "error: evidence: disk full") {
		t.Errorf("an attempt that could not finish: exit %d, stderr %q", code, stderr.String())
	}
}

// TestVersionOfAnUnstampedBuild: a plain go build in a git work tree names
// its commit; a stamped version and a go install's module version win.
func TestVersionOfAnUnstampedBuild(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "31612e4c0ffee0123456789abcdef0123456789a"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tt := range []struct {
		v    string
		bi   *debug.BuildInfo
		want string
	}{
		{"dev", vcs, "dev+31612e4c0ffe-dirty"},
		{"v0.4.0-3-g31612e4", vcs, "v0.4.0-3-g31612e4"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"dev", nil, "dev"},
	} {
		if got := versionFrom(tt.v, tt.bi); got != tt.want {
			t.Errorf("versionFrom(%q) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
