package canary_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/release"
)

// pausedSteps pause without a duration at weight 25, then go on to 50
// with an analysis, then promote.
const pausedSteps = `[{setWeight: 25}, {pause: {}}, {setWeight: 50}, {analysis: {duration: 4s, interval: 2s}}, {setWeight: 100}]`

// kship runs the kship command line against the local environment.
func (c *e2eCanary) kship(args ...string) (string, int) {
	c.t.Helper()
	root := cli.NewCmdRoot(cli.NewFactory())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(args, "--kubeconfig", c.env.Kubeconfig, "--evidence-dir", filepath.Join(c.dir, "evidence")))
	err := root.Execute()
	if err != nil {
		out.WriteString("error: " + err.Error())
	}
	return out.String(), cli.ExitCode(err)
}

// status is `kship status app -o json`.
func (c *e2eCanary) status() release.StatusReport {
	c.t.Helper()
	out, code := c.kship("status", "app", "-n", c.ns, "-o", "json")
	var st release.StatusReport
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 {
		c.t.Fatalf("kship status: exit %d, %v:\n%s", code, err, out)
	}
	return st
}

// pausedAt deploys file and expects it paused at step 2 at weight 25:
// exit 6, kship status showing the step, the weight and both
// Deployments' pods, and a deploy refused while it is paused.
func (c *e2eCanary) pausedAt(file string) {
	c.t.Helper()
	out, ev := c.deploy(file)
	c.expect(out, ev, exitcode.Paused)
	st := c.status()
	p := st.Paused
	if st.State != "paused" || p == nil || p.Step != 2 || p.Steps != 5 || p.Weight != 25 || len(p.Workloads) != 2 {
		c.t.Fatalf("status of the paused release: %+v %+v", st, p)
	}
	want := map[string]string{"stable": "3/3", "added": "1/1"}
	for _, w := range p.Workloads {
		if got := pods(w); got != want[w.Role] {
			c.t.Errorf("status: %s %s has %s pods ready, want %s", w.Role, w.Object, got, want[w.Role])
		}
	}
	human, code := c.kship("status", "app", "-n", c.ns)
	c.t.Logf("kship status (exit %d):\n%s", code, human)
	for _, w := range []string{"namespace " + c.ns + ": paused", "step 2 of 5, weight 25%", "Deployment " + c.ns + "/app-canary: 1/1 pods ready", "kship promote app -n " + c.ns} {
		if !strings.Contains(human, w) {
			c.t.Errorf("kship status lacks %q", w)
		}
	}
	again, code := c.kship("deploy", "-f", file)
	if code != exitcode.Refused || !strings.Contains(again, "is paused at step 2 of 5") {
		c.t.Errorf("deploy while paused: exit %d, want 2 naming the pause:\n%s", code, again)
	}
}

func pods(w release.WorkloadPods) string { return fmt.Sprintf("%d/%d", w.Ready, w.Replicas) }

// TestE2ECanaryPausedIsPromotedOrAborted: a canary paused without a
// duration ends the run with exit 6, kship status shows its step, weight
// and pods, kship promote runs the rest (50%, analysis, promotion) and
// verifies it, exit 0; the next paused canary is rolled back by kship
// abort, exit 3, stable exactly as it was and the canary gone.
func TestE2ECanaryPausedIsPromotedOrAborted(t *testing.T) {
	c := newE2ECanary(t, "canary-pause-")
	out, ev := c.deploy(c.write("v1", "0", oneStep))
	c.expect(out, ev, 0)
	stop := c.client.start(t)
	defer stop()

	c.pausedAt(c.write("v2", "0", pausedSteps))
	// A human looks at the paused canary for a while: long enough for its
	// traffic share's window (5s) to hold only the paused weight.
	time.Sleep(7 * time.Second)
	promoted, code := c.kship("promote", "app", "-n", c.ns)
	t.Logf("kship promote (exit %d):\n%s", code, promoted)
	if code != 0 {
		t.Fatalf("kship promote: exit %d, want 0", code)
	}
	if !strings.Contains(promoted, "step 1 left: weight 25% held") || !strings.Contains(promoted, "canary answered") {
		t.Errorf("kship promote does not say what share of traffic the paused canary answered")
	}
	if s := c.stable(); !strings.Contains(s, "image app:v2") {
		t.Errorf("stable after kship promote: %s", s)
	}
	c.canaryGone()
	if st := c.status(); st.State != "deployed" || st.Paused != nil || st.Latest.Number != 2 {
		t.Errorf("status after promote: %s: %s", st.State, st.Message)
	}

	before := c.stable()
	c.pausedAt(c.write("v3", "0", pausedSteps))
	aborted, code := c.kship("abort", "app", "-n", c.ns)
	t.Logf("kship abort (exit %d):\n%s", code, aborted)
	if code != exitcode.RolledBack || !strings.Contains(aborted, "aborted by") {
		t.Fatalf("kship abort: exit %d, want 3 with the abort as its trigger", code)
	}
	if after := c.stable(); after != before {
		t.Errorf("stable changed by the paused canary and its abort:\nbefore %s\nafter  %s", before, after)
	}
	c.canaryGone()
	if st := c.status(); st.State != "deployed" || st.Deployed == nil || st.Deployed.Number != 4 || !strings.Contains(st.Message, "rollback of revision 3") {
		t.Errorf("status after abort: %s: %s (deployed %+v)", st.State, st.Message, st.Deployed)
	}
	if _, code := c.kship("promote", "app", "-n", c.ns); code != exitcode.Refused {
		t.Errorf("kship promote of a release that is not paused: exit %d, want 2", code)
	}
	stop()
	errShare, n := c.client.errors()
	t.Logf("figure: clients saw %.2f%% errors over %d requests through both paused canaries", 100*errShare, n)
	if errShare > 0.01 {
		t.Errorf("clients saw %.1f%% errors", 100*errShare)
	}
}
