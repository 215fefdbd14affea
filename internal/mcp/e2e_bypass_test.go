package mcp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/testenv"
)

// TestBypassesAreRefused is an agent trying every way around the
// guardrails of a real `kship mcp` over stdio against the local cluster:
// each is refused with words that say why and what to do, and nothing is
// written to the cluster (the namespaces hold what they held before).
func TestBypassesAreRefused(t *testing.T) {
	f := newFixture(t)
	open, prot, outside := testenv.Namespace(t, f.env, "mcp-open-"), testenv.Namespace(t, f.env, "mcp-prot-"), testenv.Namespace(t, f.env, "mcp-out-")
	cs := f.serve("--policy", f.policy(open+"=none", prot+"=required"))
	kc := f.env.Clientset(t)
	const planted = "bypass-secret-5e1d"

	refused := func(what string, res *sdk.CallToolResult, d deployOut, want string) {
		t.Helper()
		if !res.IsError || d.ExitCode != 2 || !strings.Contains(text(res), want) {
			t.Errorf("%s: exit %d, want 2 and %q in:\n%s", what, d.ExitCode, want, text(res))
			return
		}
		t.Logf("%s: %s", what, d.Message)
	}
	var d deployOut
	res := f.call(cs, "deploy", map[string]any{}, &d)
	refused("deploy with no plan id", res, d, "deploy needs a planId")
	res = f.call(cs, "deploy", map[string]any{"planId": "p-abcdefghijklmnopqrst"}, &d)
	refused("deploy with a plan id never issued", res, d, "this server issued no such plan")

	// Stale: the cluster changes between plan and deploy.
	var p planOut
	if res := f.call(cs, "plan", map[string]any{"file": f.release(open, app{version: "v1", secret: planted})}, &p); res.IsError || p.PlanID == "" {
		t.Fatalf("plan: %s", text(res))
	}
	live := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app-config"}, Data: map[string]string{"DEMO_VERSION": "by-hand"}}
	if _, err := kc.CoreV1().ConfigMaps(open).Create(t.Context(), live, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, kc, open, prot, outside)
	res = f.call(cs, "deploy", map[string]any{"planId": p.PlanID}, &d)
	refused("deploy with a stale plan id", res, d, "is stale")
	if d.NewPlanID == "" || d.NewPlanID == p.PlanID || !strings.Contains(text(res), "ConfigMap") {
		t.Errorf("a stale plan is refused with the new diff and a new plan id: %s", text(res))
	}

	// Outside the policy: the release's namespace, or one object of it.
	f.call(cs, "plan", map[string]any{"file": f.release(outside, app{version: "v1", secret: planted})}, &p)
	if p.Policy == nil || p.Policy.Allowed {
		t.Errorf("plan outside the policy: %+v", p.Policy)
	}
	res = f.call(cs, "deploy", map[string]any{"planId": p.PlanID}, &d)
	refused("deploy to a namespace outside the policy", res, d, "allows no change to release app in namespace "+outside)
	sneaky := f.release(open, app{version: "v2", secret: planted})
	write(t, filepath.Join(filepath.Dir(sneaky), "manifests", "elsewhere.yaml"),
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: elsewhere, namespace: "+outside+"}\ndata: {a: b}\n")
	f.call(cs, "plan", map[string]any{"file": sneaky}, &p)
	res = f.call(cs, "deploy", map[string]any{"planId": p.PlanID}, &d)
	refused("deploy of a release with an object in a namespace outside the policy", res, d, "ConfigMap "+outside+"/elsewhere")

	// Protected: no approval, another plan's, a forged one, a reused one.
	protFile := f.release(prot, app{version: "v1", secret: planted})
	var p1, p2 planOut
	f.call(cs, "plan", map[string]any{"file": protFile}, &p1)
	f.call(cs, "plan", map[string]any{"file": protFile}, &p2)
	if p1.Policy == nil || !p1.Policy.ApprovalRequired {
		t.Fatalf("plan of a protected namespace: %+v", p1.Policy)
	}
	res = f.call(cs, "deploy", map[string]any{"planId": p1.PlanID}, &d)
	refused("deploy to a protected namespace without approval", res, d, "needs a human's approval")
	code2 := f.approve(p2.PlanID, "app")
	res = f.call(cs, "deploy", map[string]any{"planId": p1.PlanID, "approval": code2}, &d)
	refused("deploy with the approval of another plan", res, d, "was made for plan "+p2.PlanID)
	res = f.call(cs, "deploy", map[string]any{"planId": p1.PlanID, "approval": "ka-aaaaaaaaaaaaaaaa-aaaaaaaaaaaaaaaaaaaaaaaa"}, &d)
	refused("deploy with a forged approval", res, d, "does not verify")
	if out, code := f.cli("nope\n", "approve", p1.PlanID, "--state-dir", f.state); code != 2 || strings.Contains(out, "ka-") {
		t.Errorf("kship approve without the release name typed: exit %d\n%s", code, out)
	}
	after := snapshot(t, kc, open, prot, outside)
	if before != after {
		t.Errorf("refused calls changed the cluster:\nbefore %s\nafter  %s", before, after)
	}

	code1 := f.approve(p1.PlanID, "app")
	if res := f.call(cs, "deploy", map[string]any{"planId": p1.PlanID, "approval": code1}, &d); d.ExitCode != 0 {
		t.Fatalf("deploy with its approval: %s", text(res))
	}
	afterDeploy := snapshot(t, kc, open, prot, outside)
	res = f.call(cs, "deploy", map[string]any{"planId": p1.PlanID, "approval": code1}, &d)
	refused("deploy with a used approval", res, d, "already used")
	f.call(cs, "plan", map[string]any{"file": protFile}, &p)
	res = f.call(cs, "deploy", map[string]any{"planId": p.PlanID, "approval": code1}, &d)
	refused("a used approval for a new plan", res, d, "was made for plan "+p1.PlanID)
	var rb deployOut
	f.call(cs, "rollback", map[string]any{"release": "app", "namespace": prot}, &rb)
	res = f.call(cs, "rollback", map[string]any{"release": "app", "namespace": prot, "planId": rb.PlanID}, &d)
	refused("rollback of a protected release without approval", res, d, "needs a human's approval")

	// Secret values: not through evidence, whatever folder or file is named.
	var ev struct {
		Files []struct{ Name string } `json:"files"`
	}
	for _, in := range []map[string]any{
		{"evidenceDir": filepath.Dir(protFile), "file": "kship.yaml"},
		{"evidenceDir": filepath.Join(filepath.Dir(protFile), "manifests")},
		{"evidenceDir": f.evidence + "/../work"},
		{"release": "app", "namespace": prot, "file": "../../../work/" + filepath.Base(filepath.Dir(protFile)) + "/manifests/app.yaml"},
		{"release": "app", "namespace": prot, "file": f.env.Kubeconfig},
	} {
		res := f.call(cs, "evidence", in, nil)
		if !res.IsError || !strings.Contains(text(res), "refused") && !strings.Contains(text(res), "not a path") {
			t.Errorf("evidence %v: not refused:\n%s", in, text(res))
		}
	}
	if res := f.call(cs, "evidence", map[string]any{"release": "app", "namespace": prot}, &ev); res.IsError || len(ev.Files) == 0 {
		t.Fatalf("evidence of the deployed release: %s", text(res))
	}
	for _, file := range ev.Files {
		f.call(cs, "evidence", map[string]any{"release": "app", "namespace": prot, "file": file.Name}, nil)
	}
	if res := f.call(cs, "plan", map[string]any{"file": f.env.Kubeconfig}, nil); !res.IsError || !strings.Contains(text(res), "kubeconfig") {
		t.Errorf("plan of the kubeconfig: %s", text(res))
	}
	if after := snapshot(t, kc, open, prot, outside); after != afterDeploy {
		t.Errorf("refused calls changed the cluster:\nbefore %s\nafter  %s", afterDeploy, after)
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(protFile), "manifests", "app.yaml"))
	if err != nil || !strings.Contains(string(data), planted) {
		t.Fatalf("the planted value is not in the release's manifests, so looking for it proves nothing: %v", err)
	}
	f.noValue(planted)
}

// TestNoPolicyIsReadOnly: a server started without --policy plans, but
// refuses deploy, rollback and drill, and writes nothing.
func TestNoPolicyIsReadOnly(t *testing.T) {
	f := newFixture(t)
	ns := testenv.Namespace(t, f.env, "mcp-ro-")
	file := f.release(ns, app{version: "v1", secret: "readonly-secret-90b2"})
	if out, code := f.cli("", "deploy", "-f", file, "-o", "json"); code != 0 {
		t.Fatalf("kship deploy: exit %d\n%s", code, out)
	}
	kc := f.env.Clientset(t)
	before := snapshot(t, kc, ns)
	cs := f.serve()
	var p planOut
	if res := f.call(cs, "plan", map[string]any{"file": f.release(ns, app{version: "v2", secret: "readonly-secret-90b2"})}, &p); res.IsError || p.Policy == nil || p.Policy.Allowed {
		t.Fatalf("plan: %+v %s", p.Policy, text(res))
	}
	var d deployOut
	calls := []struct {
		tool string
		args map[string]any
	}{
		{"deploy", map[string]any{"planId": p.PlanID}},
		{"rollback", map[string]any{"release": "app", "namespace": ns}},
		{"rollback", map[string]any{"release": "app", "namespace": ns, "toRevision": 1}},
		{"drill", map[string]any{"release": "app", "namespace": ns}},
	}
	for _, c := range calls {
		res := f.call(cs, c.tool, c.args, &d)
		if !res.IsError || d.ExitCode != 2 || !strings.Contains(text(res), "read-only") {
			t.Errorf("%s %v: exit %d\n%s", c.tool, c.args, d.ExitCode, text(res))
		}
	}
	if after := snapshot(t, kc, ns); after != before {
		t.Errorf("a read-only server changed the cluster:\nbefore %s\nafter  %s", before, after)
	}
	f.noValue("readonly-secret-90b2")
}

// snapshot is every object kship may have written in the namespaces, with
// its resourceVersion: two snapshots differ when anything was written.
func snapshot(t *testing.T, kc kubernetes.Interface, namespaces ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var b strings.Builder
	for _, ns := range namespaces {
		cms, err := kc.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range cms.Items {
			if o.Name != "kube-root-ca.crt" {
				b.WriteString(" cm/" + ns + "/" + o.Name + "@" + o.ResourceVersion)
			}
		}
		secrets, err := kc.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range secrets.Items {
			b.WriteString(" secret/" + ns + "/" + o.Name + "@" + o.ResourceVersion)
		}
		svcs, err := kc.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range svcs.Items {
			b.WriteString(" svc/" + ns + "/" + o.Name + "@" + o.ResourceVersion)
		}
		deps, err := kc.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range deps.Items {
			b.WriteString(fmt.Sprintf(" deploy/%s/%s@gen%d", ns, o.Name, o.Generation)) // status changes on its own
		}
		leases, err := kc.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range leases.Items {
			b.WriteString(" lease/" + ns + "/" + o.Name + "@" + o.ResourceVersion)
		}
	}
	return b.String()
}

// TestApprovalByElicitation: a client that can ask its user is asked for
// the code (the message names the plan and `kship approve`); the code the
// human gives is checked like one passed as approval: a real one deploys,
// a declined request, or a code of another plan, is refused.
func TestApprovalByElicitation(t *testing.T) {
	f := newFixture(t)
	ns := testenv.Namespace(t, f.env, "mcp-elicit-")
	var asked []string
	answer := func(string) *sdk.ElicitResult { return &sdk.ElicitResult{Action: "decline"} }
	cs := f.serveWith(func(_ context.Context, r *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
		asked = append(asked, r.Params.Message)
		return answer(r.Params.Message), nil
	}, "--policy", f.policy(ns+"=required"))
	file := f.release(ns, app{version: "v1", secret: "elicit-secret-61e0"})
	var p, other planOut
	f.call(cs, "plan", map[string]any{"file": file}, &p)
	f.call(cs, "plan", map[string]any{"file": file}, &other)
	before := snapshot(t, f.env.Clientset(t), ns)

	var d deployOut
	res := f.call(cs, "deploy", map[string]any{"planId": p.PlanID}, &d)
	if !res.IsError || d.ExitCode != 2 || !strings.Contains(text(res), "none was given") {
		t.Errorf("declined: exit %d\n%s", d.ExitCode, text(res))
	}
	if len(asked) != 1 || !strings.Contains(asked[0], "kship approve "+p.PlanID) {
		t.Fatalf("the user was asked %q", asked)
	}
	otherCode := f.approve(other.PlanID, "app")
	answer = func(string) *sdk.ElicitResult {
		return &sdk.ElicitResult{Action: "accept", Content: map[string]any{"code": otherCode}}
	}
	res = f.call(cs, "deploy", map[string]any{"planId": p.PlanID}, &d)
	if !res.IsError || d.ExitCode != 2 || !strings.Contains(text(res), "was made for plan "+other.PlanID) {
		t.Errorf("another plan's code: exit %d\n%s", d.ExitCode, text(res))
	}
	if after := snapshot(t, f.env.Clientset(t), ns); after != before {
		t.Errorf("refused approvals changed the cluster:\nbefore %s\nafter  %s", before, after)
	}
	answer = func(msg string) *sdk.ElicitResult {
		return &sdk.ElicitResult{Action: "accept", Content: map[string]any{"code": f.approve(p.PlanID, "app")}}
	}
	if res := f.call(cs, "deploy", map[string]any{"planId": p.PlanID}, &d); d.ExitCode != 0 {
		t.Fatalf("the human's code: %s", text(res))
	}
	f.noValue("elicit-secret-61e0")
}
