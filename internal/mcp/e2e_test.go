package mcp_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/mcp"
	"github.com/kship/kship/internal/testenv"
)

// TestWorkflowOverStdio is an agent's session against a real `kship mcp`
// process and the local cluster: list the tools; plan → deploy (verified)
// → status; a second version; a crash-looping release (rolled back, with
// its trigger) → history → rollback. Every structured result is the
// CLI's JSON of the same run: the plan is `kship plan -o json`'s, status
// and history are `kship status|history -o json`'s byte for byte after
// decoding, each outcome is the one the attempt's evidence.json records
// (what `kship deploy -o json` prints), and a CLI deploy of the same
// release in a twin namespace ends the same way.
func TestWorkflowOverStdio(t *testing.T) {
	f := newFixture(t)
	ns, twin := testenv.Namespace(t, f.env, "mcp-flow-"), testenv.Namespace(t, f.env, "mcp-twin-")
	cs := f.serve("--policy", f.policy(ns+"=none"))

	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	for _, want := range []string{"plan", "check", "deploy", "status", "history", "rollback", "drill", "evidence", "explain"} {
		if !strings.Contains(strings.Join(names, ","), want) {
			t.Errorf("tool %s not listed: %v", want, names)
		}
	}

	v1 := f.release(ns, app{version: "v1", secret: "flow-secret-v1-8f3a"})
	var p planOut
	if res := f.call(cs, "plan", map[string]any{"file": v1}, &p); res.IsError || p.PlanID == "" || !p.Policy.Allowed {
		t.Fatalf("plan: %s", text(res))
	}
	cliPlan, code := f.cli("", "plan", "-f", v1, "-o", "json")
	if code != 0 {
		t.Fatalf("kship plan: exit %d\n%s", code, cliPlan)
	}
	samePlan(t, p.Plan, cliPlan)

	var d deployOut
	res := f.call(cs, "deploy", map[string]any{"planId": p.PlanID}, &d)
	if res.IsError || d.ExitCode != 0 || d.Outcome.Verdict != "verified" {
		t.Fatalf("deploy v1: %s", text(res))
	}
	sameAsEvidence(t, d.Outcome)
	if !hasMeasurement(d, "smoke", "health", "pass") || len(f.progress) == 0 {
		t.Errorf("measurements %+v, %d progress notifications", d.Measurements, len(f.progress))
	}
	if _, err := os.Stat(filepath.Join(d.Outcome.EvidenceDir, mcp.CallsFile)); err != nil {
		t.Errorf("the call is not recorded in the attempt's evidence: %v", err)
	}
	cliDeploy, code := f.cli("", "deploy", "-f", f.release(twin, app{version: "v1", secret: "flow-secret-v1-8f3a"}), "-o", "json")
	if code != 0 {
		t.Fatalf("kship deploy (twin): exit %d\n%s", code, cliDeploy)
	}
	sameOutcome(t, d.Outcome, lastOutcome(t, cliDeploy), ns, twin)

	f.sameAsCLI(cs, "status", ns)

	v2 := f.release(ns, app{version: "v2", secret: "flow-secret-v2-11c0"})
	commit := gitCommitAll(t, f.work)
	f.call(cs, "plan", map[string]any{"file": v2}, &p)
	if res := f.call(cs, "deploy", map[string]any{"planId": p.PlanID}, &d); d.ExitCode != 0 {
		t.Fatalf("deploy v2: %s", text(res))
	}
	f.provenance(d.Outcome.EvidenceDir, v2, ns, commit)

	bad := f.release(ns, app{version: "v3", behavior: "crashloop", secret: "flow-secret-v3-77aa"})
	f.call(cs, "plan", map[string]any{"file": bad}, &p)
	res = f.call(cs, "deploy", map[string]any{"planId": p.PlanID}, &d)
	if !res.IsError || d.ExitCode != 3 || d.Outcome.Verdict != "rolled-back" || !strings.Contains(d.Outcome.Trigger, "CrashLoopBackOff") {
		t.Fatalf("bad release: exit %d, %s", d.ExitCode, text(res))
	}
	sameAsEvidence(t, d.Outcome)
	t.Logf("bad release: %s", d.Message)
	if !hasMeasurement(d, "detector", "", "CrashLoopBackOff") {
		t.Errorf("no detector measurement: %+v", d.Measurements)
	}
	var ex mcp.ExplainOutput
	f.call(cs, "explain", map[string]any{"evidenceDir": d.Outcome.EvidenceDir}, &ex)
	if len(ex.Explanations) == 0 || ex.Explanations[0].Kind != "detector" || !strings.Contains(ex.Explanations[0].Text, "CrashLoopBackOff") {
		t.Errorf("explain: %+v", ex)
	}

	f.sameAsCLI(cs, "history", ns)
	if out, _ := f.cli("", "history", "app", "-n", ns); !strings.Contains(out, "IMAGES") || !strings.Contains(out, "app:v1") || !strings.Contains(out, "app:v3") {
		t.Errorf("kship history does not show each revision's images:\n%s", out)
	}

	var rb deployOut
	res = f.call(cs, "rollback", map[string]any{"release": "app", "namespace": ns}, &rb)
	if res.IsError || rb.PlanID == "" || rb.Outcome != nil || len(rb.History) == 0 {
		t.Fatalf("rollback, first call: %s", text(res))
	}
	res = f.call(cs, "rollback", map[string]any{"release": "app", "namespace": ns, "planId": rb.PlanID}, &rb)
	if res.IsError || rb.ExitCode != 0 || rb.Outcome.RestoredRevision != 1 {
		t.Fatalf("rollback: %s", text(res))
	}
	sameAsEvidence(t, rb.Outcome)
	t.Logf("rollback: %s; explain: %s", rb.Message, ex.Explanations[0].Text)
	f.sameAsCLI(cs, "status", ns)
	f.noValue("flow-secret-v1-8f3a", "flow-secret-v2-11c0", "flow-secret-v3-77aa")
}

// samePlan compares the MCP plan with `kship plan -o json`'s, without the
// time it was generated.
func samePlan(t *testing.T, mcpPlan json.RawMessage, cliOut string) {
	t.Helper()
	var a map[string]any
	var b struct {
		Plan map[string]any `json:"plan"`
	}
	if err := json.Unmarshal(mcpPlan, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(cliOut), &b); err != nil {
		t.Fatalf("kship plan -o json: %v\n%s", err, cliOut)
	}
	delete(a, "generated")
	delete(b.Plan, "generated")
	if !reflect.DeepEqual(a, b.Plan) {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b.Plan)
		t.Errorf("the MCP plan differs from kship plan -o json:\n%s\n%s", x, y)
	}
}

// sameAsEvidence compares an MCP outcome with the one its evidence.json
// records, which is what `kship deploy -o json` prints as its last line.
func sameAsEvidence(t *testing.T, o *outcome) {
	t.Helper()
	b, err := evidence.Read(o.EvidenceDir)
	if err != nil {
		t.Fatal(err)
	}
	want := outcome{Release: b.Release, Namespace: b.Namespace, Verdict: string(b.Verdict), ExitCode: b.ExitCode, Revision: b.Revision,
		RollbackRevision: b.RollbackRevision, RestoredRevision: b.RestoredRevision, EvidenceDir: b.EvidenceDir, Summary: b.Summary,
		Trigger: b.Trigger, Checked: b.Checked}
	if !reflect.DeepEqual(*o, want) {
		t.Errorf("MCP outcome %+v\nevidence   %+v", *o, want)
	}
}

// lastOutcome is the outcome line of `kship deploy -o json`.
func lastOutcome(t *testing.T, out string) *outcome {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var doc struct {
		Outcome *outcome `json:"outcome"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &doc); err != nil || doc.Outcome == nil {
		t.Fatalf("no outcome line: %v\n%s", err, out)
	}
	return doc.Outcome
}

// sameOutcome compares outcomes of the same release in two namespaces.
func sameOutcome(t *testing.T, a, b *outcome, nsA, nsB string) {
	t.Helper()
	norm := func(o outcome, ns string) outcome {
		o.Namespace, o.EvidenceDir = "", ""
		o.Summary = strings.ReplaceAll(o.Summary, ns, "NS")
		o.Trigger = strings.ReplaceAll(o.Trigger, ns, "NS")
		for i := range o.Checked {
			o.Checked[i] = strings.ReplaceAll(o.Checked[i], ns, "NS")
		}
		return o
	}
	if x, y := norm(*a, nsA), norm(*b, nsB); !reflect.DeepEqual(x, y) {
		t.Errorf("MCP deploy %+v\nCLI deploy %+v", x, y)
	}
}

// sameAsCLI compares a read tool's structured result with the CLI's -o json.
func (f *fixture) sameAsCLI(cs *sdk.ClientSession, tool, ns string) {
	f.t.Helper()
	var got map[string]any
	f.call(cs, tool, map[string]any{"release": "app", "namespace": ns}, &got)
	out, code := f.cli("", tool, "app", "-n", ns, "-o", "json")
	if code != 0 {
		f.t.Fatalf("kship %s: exit %d\n%s", tool, code, out)
	}
	var want any
	if err := json.Unmarshal([]byte(out), &want); err != nil {
		f.t.Fatal(err)
	}
	if tool == "history" {
		want = map[string]any{"revisions": want}
	}
	if !reflect.DeepEqual(got, want) {
		x, _ := json.Marshal(got)
		y, _ := json.Marshal(want)
		f.t.Errorf("%s: MCP and CLI differ:\nMCP %s\nCLI %s", tool, x, y)
	}
}

func hasMeasurement(d deployOut, kind, name, verdict string) bool {
	for _, m := range d.Measurements {
		if m.Kind == kind && (name == "" || m.Name == name) && m.Verdict == verdict {
			return true
		}
	}
	return false
}

// noValue fails when a Secret value is in any tool result the client saw,
// any evidence file (the call logs mcp-calls.jsonl included), the server
// log or the server's standard error.
func (f *fixture) noValue(values ...string) {
	f.t.Helper()
	check := func(where string, data []byte) {
		for _, v := range values {
			if bytes.Contains(data, []byte(v)) {
				f.t.Errorf("Secret value %q appears in %s", v, where)
			}
		}
	}
	filepath.Walk(f.evidence, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			data, _ := os.ReadFile(path)
			check(path, data)
		}
		return nil
	})
	data, err := os.ReadFile(f.serverLog)
	if err != nil || len(data) == 0 {
		f.t.Errorf("server log %s: %v (%d bytes)", f.serverLog, err, len(data))
	}
	check(f.serverLog, data)
	check("the server's stderr", f.stderr.Bytes())
	if f.results.Len() == 0 {
		f.t.Error("no tool result was kept to look for Secret values in")
	}
	check("a tool result", f.results.Bytes())
}

// gitCommitAll makes dir a git work tree with everything in it committed
// and returns the commit.
func gitCommitAll(t *testing.T, dir string) string {
	t.Helper()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit("releases", &git.CommitOptions{Author: &object.Signature{Name: "e2e", Email: "e2e@example.com", When: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// provenance checks what a change ticket needs in an attempt's evidence:
// who, which kship, which cluster, the release file's digest, the source
// commit, and the images before (v1) and after (v2).
func (f *fixture) provenance(dir, file, ns, commit string) {
	f.t.Helper()
	b, err := evidence.Read(dir)
	if err != nil {
		f.t.Fatal(err)
	}
	p := b.Provenance
	raw, _ := os.ReadFile(file)
	host, _ := os.Hostname()
	sv, err := f.env.Clientset(f.t).Discovery().ServerVersion()
	if err != nil {
		f.t.Fatal(err)
	}
	if p == nil || p.User == "" || p.Host != host || p.KshipVersion == "" || p.Context != f.context || p.Server == "" ||
		p.KubernetesVersion != sv.GitVersion || p.ReleaseFileDigest != evidence.BytesDigest(raw) || p.ObjectsDigest == "" {
		f.t.Fatalf("provenance %+v", p)
	}
	if p.Source == nil || p.Source.Commit != commit || p.Source.Dirty {
		f.t.Errorf("source %+v, want commit %s, clean", p.Source, commit)
	}
	want := evidence.ImageChange{Object: "Deployment " + ns + "/app", Container: "app", Before: "app:v1", After: "app:v2"}
	if len(p.Images) != 1 || p.Images[0] != want {
		f.t.Errorf("images %+v, want %+v", p.Images, want)
	}
	html, _ := os.ReadFile(filepath.Join(dir, evidence.ReportFile))
	for _, w := range []string{commit, "app:v1", "app:v2", p.KubernetesVersion} {
		if !bytes.Contains(html, []byte(w)) {
			f.t.Errorf("report.html lacks %q", w)
		}
	}
}
