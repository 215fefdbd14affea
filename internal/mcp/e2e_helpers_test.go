package mcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kship/kship/internal/testenv"
)

var (
	buildOnce sync.Once
	kshipBin  string
	buildErr  error
)

// kship builds the real kship binary once per test run.
func kship(t testing.TB, env *testenv.Env) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kship-mcp-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		kshipBin = filepath.Join(dir, "kship")
		cmd := exec.Command("go", "build", "-o", kshipBin, "./cmd/kship")
		cmd.Dir = env.RepoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return kshipBin
}

// fixture is one test's workspace, evidence and state folders, and its
// kship binary.
type fixture struct {
	t         testing.TB
	env       *testenv.Env
	bin       string
	work      string // workspace: release files
	evidence  string
	state     string
	context   string // the kubeconfig's current context
	stderr    bytes.Buffer
	progress  []string
	progMu    sync.Mutex
	serverLog string
	// results holds every tool result the client saw (text and
	// structured), for the Secret-value grep.
	results bytes.Buffer
	// onProgress, when set, sees each progress message (under progMu).
	onProgress func(string)
	// server is the last `kship mcp` process serve started.
	server *exec.Cmd
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	env := testenv.Get(t)
	dir := t.TempDir()
	f := &fixture{t: t, env: env, bin: kship(t, env), work: filepath.Join(dir, "work"), evidence: filepath.Join(dir, "evidence"),
		state: filepath.Join(dir, "state")}
	if err := os.MkdirAll(f.work, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, err := clientcmd.LoadFromFile(env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	f.context = raw.CurrentContext
	f.serverLog = filepath.Join(f.state, "server.log")
	return f
}

// app is one version of the test application.
type app struct {
	version, behavior, secret string
}

// release writes a release of app a into namespace ns and returns its file.
func (f *fixture) release(ns string, a app) string {
	f.t.Helper()
	return f.env.WriteDemo(f.t, filepath.Join(f.work, ns+"-"+a.version), testenv.DemoRelease{Namespace: ns, RestartThreshold: 2},
		testenv.DemoApp{Version: a.version, Behavior: a.behavior, Secret: a.secret, Readiness: true})
}

func write(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// policy writes a policy: rules are "namespace=approval" pairs.
func (f *fixture) policy(rules ...string) string {
	f.t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: kship.dev/v1alpha1\nkind: MCPPolicy\nspec:\n  allow:\n")
	for _, r := range rules {
		ns, approval, _ := strings.Cut(r, "=")
		fmt.Fprintf(&b, "    - context: %s\n      namespaces: [%s]\n      releases: [\"*\"]\n      approval: %s\n", f.context, ns, approval)
	}
	path := filepath.Join(f.t.TempDir(), "policy.yaml")
	write(f.t, path, b.String())
	return path
}

// serveArgs are the arguments of `kship mcp` for this fixture.
func (f *fixture) serveArgs(extra ...string) []string {
	return append([]string{"--kubeconfig", f.env.Kubeconfig, "--evidence-dir", f.evidence, "mcp", "--state-dir", f.state, "--workspace", f.work}, extra...)
}

// serve starts `kship mcp` over stdio with extra flags and connects a
// client built on the SDK.
func (f *fixture) serve(extra ...string) *sdk.ClientSession {
	f.t.Helper()
	return f.serveWith(nil, extra...)
}

// serveWith is serve with a client that answers elicitation requests
// with elicit (nil: a client that cannot ask its user).
func (f *fixture) serveWith(elicit func(context.Context, *sdk.ElicitRequest) (*sdk.ElicitResult, error), extra ...string) *sdk.ClientSession {
	f.t.Helper()
	cmd := exec.Command(f.bin, f.serveArgs(extra...)...)
	cmd.Stderr = &f.stderr
	c := sdk.NewClient(&sdk.Implementation{Name: "kship-e2e", Version: "v0"}, &sdk.ClientOptions{
		ElicitationHandler: elicit,
		ProgressNotificationHandler: func(_ context.Context, r *sdk.ProgressNotificationClientRequest) {
			f.progMu.Lock()
			f.progress = append(f.progress, r.Params.Message)
			if f.onProgress != nil {
				f.onProgress(r.Params.Message)
			}
			f.progMu.Unlock()
		}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := c.Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	if err != nil {
		f.t.Fatalf("connect to kship mcp: %v\n%s", err, f.stderr.String())
	}
	f.t.Cleanup(func() { cs.Close() })
	f.server = cmd
	return cs
}

// call calls a tool and decodes its structured result into out (when not
// nil); it returns the result.
func (f *fixture) call(cs *sdk.ClientSession, tool string, args map[string]any, out any) *sdk.CallToolResult {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p := &sdk.CallToolParams{Name: tool, Arguments: args}
	p.SetProgressToken(tool + "-" + fmt.Sprint(time.Now().UnixNano()))
	res, err := cs.CallTool(ctx, p)
	if err != nil {
		f.t.Fatalf("%s %v: %v\n%s", tool, args, err, f.stderr.String())
	}
	b, _ := json.Marshal(res.StructuredContent)
	fmt.Fprintf(&f.results, "%s\n%s\n", text(res), b)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("%s: structured result: %v\n%s", tool, err, b)
		}
	}
	return res
}

func text(r *sdk.CallToolResult) string {
	var parts []string
	for _, c := range r.Content {
		if t, ok := c.(*sdk.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// cli runs the kship CLI with the fixture's kubeconfig and evidence folder.
func (f *fixture) cli(stdin string, args ...string) (string, int) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.bin, append([]string{"--kubeconfig", f.env.Kubeconfig, "--evidence-dir", f.evidence}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return stdout.String() + stderr.String(), ee.ExitCode()
	}
	if err != nil {
		f.t.Fatalf("kship %v: %v", args, err)
	}
	return stdout.String(), 0
}

// approve runs `kship approve PLAN` as a human would, typing the release name.
func (f *fixture) approve(plan, typed string) string {
	f.t.Helper()
	out, code := f.cli(typed+"\n", "approve", plan, "--state-dir", f.state)
	if code != 0 {
		f.t.Fatalf("kship approve %s: exit %d\n%s", plan, code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// planOut and deployOut are the parts of the tools' results the tests read.
type planOut struct {
	Verdict  string          `json:"verdict"`
	ExitCode int             `json:"exitCode"`
	Message  string          `json:"message"`
	PlanID   string          `json:"planId"`
	Plan     json.RawMessage `json:"plan"`
	Policy   *struct {
		Allowed          bool `json:"allowed"`
		ApprovalRequired bool `json:"approvalRequired"`
	} `json:"policy"`
	EvidenceDir string `json:"evidenceDir"`
}

type outcome struct {
	Release          string   `json:"release"`
	Namespace        string   `json:"namespace"`
	Verdict          string   `json:"verdict"`
	ExitCode         int      `json:"exitCode"`
	Revision         int      `json:"revision"`
	RollbackRevision int      `json:"rollbackRevision"`
	RestoredRevision int      `json:"restoredRevision"`
	EvidenceDir      string   `json:"evidenceDir"`
	Summary          string   `json:"summary"`
	Trigger          string   `json:"trigger"`
	Checked          []string `json:"checked"`
}

type deployOut struct {
	Outcome      *outcome `json:"outcome"`
	ExitCode     int      `json:"exitCode"`
	Message      string   `json:"message"`
	PlanID       string   `json:"planId"`
	NewPlanID    string   `json:"newPlanId"`
	Measurements []struct {
		Kind, Name, Verdict string
	} `json:"measurements"`
	EvidenceDir   string   `json:"evidenceDir"`
	EvidenceFiles []string `json:"evidenceFiles"`
	History       []struct {
		Number  int    `json:"revision"`
		Outcome string `json:"outcome"`
	} `json:"history"`
}
