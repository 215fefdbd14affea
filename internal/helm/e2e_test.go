package helm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/helm"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/testenv"
)

// fixture is one test's Helm release of the example chart
// (examples/helm) in a fresh namespace of the local environment.
type fixture struct {
	t       *testing.T
	env     *testenv.Env
	clients *kube.Clients
	ns      string
	client  *helm.Client
	dir     string // examples/helm
}

func newFixture(t *testing.T, prefix string) *fixture {
	t.Helper()
	env := testenv.Get(t)
	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ns := testenv.Namespace(t, env, prefix)
	return &fixture{t: t, env: env, clients: c, ns: ns, client: helm.Open(c, ns, "web"),
		dir: filepath.Join(env.RepoRoot, "examples", "helm")}
}

func (f *fixture) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	f.t.Cleanup(cancel)
	return ctx
}

// request renders the chart with the values files (relative to
// examples/helm) and set values the way kship does, as a write of kship
// revision n.
func (f *fixture) request(n int, set map[string]string, values ...string) helm.Request {
	f.t.Helper()
	rel := &config.Release{Dir: f.dir}
	rel.Metadata.Name = "web"
	rel.Spec.Namespace, rel.Spec.Mechanism = f.ns, config.MechanismHelm
	rel.Spec.Source.Helm = &config.Helm{Chart: "chart", Values: values, Set: set, ReleaseName: "web", KubeVersion: config.DefaultKubeVersion}
	r, err := manifest.Render(context.Background(), rel, f.clients.Mapper)
	if err != nil {
		f.t.Fatal(err)
	}
	chrt, vals, err := manifest.HelmChart(rel)
	if err != nil {
		f.t.Fatal(err)
	}
	return helm.Request{Chart: chrt, Values: vals, Objects: r.Objects, ChartDir: "chart", KshipRevision: n,
		Description: fmt.Sprintf("kship revision %d", n)}
}

func (f *fixture) history() []helm.Revision {
	f.t.Helper()
	h, err := f.client.History(f.ctx(30 * time.Second))
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func statuses(h []helm.Revision) string {
	var s []string
	for _, r := range h {
		s = append(s, r.Status)
	}
	return strings.Join(s, ",")
}

func (f *fixture) configData(name, key string) string {
	f.t.Helper()
	cm, err := f.clients.Typed.CoreV1().ConfigMaps(f.ns).Get(f.ctx(10*time.Second), name, metav1.GetOptions{})
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return cm.Data[key]
}

func (f *fixture) secretData(name, key string) string {
	f.t.Helper()
	s, err := f.clients.Typed.CoreV1().Secrets(f.ns).Get(f.ctx(10*time.Second), name, metav1.GetOptions{})
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(s.Data[key])
}

// helmCLI is the helm CLI of the same module (make helm), built into the
// test's cache when bin/helm is missing.
func helmCLI(t *testing.T, root string) string {
	t.Helper()
	bin := filepath.Join(root, "bin", "helm")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	bin = filepath.Join(t.TempDir(), "helm")
	cmd := exec.Command("go", "build", "-o", bin, "helm.sh/helm/v4/cmd/helm")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the helm CLI: %v\n%s", err, out)
	}
	return bin
}

// helmRun runs the helm CLI against the release's namespace.
func (f *fixture) helmRun(args ...string) string {
	f.t.Helper()
	cmd := exec.CommandContext(f.ctx(3*time.Minute), helmCLI(f.t, f.env.RepoRoot), append(args, "--kubeconfig", f.env.Kubeconfig, "-n", f.ns)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		f.t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// cliHistory is `helm history web -o json` as the helm CLI reads it.
func (f *fixture) cliHistory() string {
	f.t.Helper()
	var rows []struct {
		Revision int    `json:"revision"`
		Status   string `json:"status"`
	}
	if err := json.Unmarshal([]byte(f.helmRun("history", "web", "-o", "json")), &rows); err != nil {
		f.t.Fatal(err)
	}
	var s []string
	for _, r := range rows {
		s = append(s, r.Status)
	}
	return strings.Join(s, ",")
}

// A release through install, upgrade, a bad upgrade and Helm's rollback:
// each is a real Helm revision the helm CLI sees, hooks run by Helm and
// reported, the manifest exactly kship's objects, fields owned by "helm",
// and the rollback restores the ConfigMap, the Secret and the object the
// bad revision deleted.
func TestE2EInstallUpgradeRollback(t *testing.T) {
	f := newFixture(t, "kship-helm-")
	ctx := f.ctx(4 * time.Minute)

	op, err := f.client.Write(ctx, f.request(1, nil, "v1.yaml"))
	if err != nil {
		t.Fatalf("install: %v (%+v)", err, op)
	}
	if op.Action != helm.ActionInstall || op.Revision != 1 || op.Status != helm.StatusDeployed {
		t.Fatalf("install = %s", op)
	}
	if len(op.Hooks) != 1 || op.Hooks[0].Name != "web-migrate" || op.Hooks[0].Phase != "Succeeded" || op.Hooks[0].Events[0] != "pre-install" {
		t.Fatalf("install hooks = %+v", op.Hooks)
	}
	cm, err := f.clients.Typed.CoreV1().ConfigMaps(f.ns).Get(ctx, "web-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	managers := map[string]bool{}
	for _, m := range cm.ManagedFields {
		managers[m.Manager+"/"+string(m.Operation)] = true
	}
	if !managers["helm/Apply"] || len(managers) != 1 {
		t.Errorf("ConfigMap field managers = %v, want only helm/Apply", managers)
	}

	op, err = f.client.Write(ctx, f.request(2, nil, "v2.yaml"))
	if err != nil || op.Action != helm.ActionUpgrade || op.Revision != 2 || op.Status != helm.StatusDeployed {
		t.Fatalf("upgrade = %v, %v", op, err)
	}
	if len(op.Hooks) != 1 || op.Hooks[0].Events[1] != "pre-upgrade" || op.Hooks[0].Phase != "Succeeded" {
		t.Fatalf("upgrade hooks = %+v", op.Hooks)
	}
	if got := f.configData("web-extra", "ADDED_IN"); got != "v2" {
		t.Fatalf("web-extra after v2 = %q", got)
	}
	if got := f.helmRun("get", "manifest", "web"); !strings.Contains(got, "# Source: web/templates/config.yaml") || strings.Contains(got, "postrender-filename") {
		t.Errorf("helm get manifest does not name kship's templates:\n%s", got)
	}

	// v3 deletes web-extra and changes the ConfigMap and the Secret; Helm
	// marks it deployed (it does not wait): kship's verdict marks it
	// failed, then Helm's rollback restores revision 2.
	op, err = f.client.Write(ctx, f.request(3, nil, "v3-crashloop.yaml"))
	if err != nil || op.Revision != 3 || op.Status != helm.StatusDeployed {
		t.Fatalf("bad upgrade = %v, %v", op, err)
	}
	if got := f.configData("web-extra", "ADDED_IN"); !strings.Contains(got, "not found") {
		t.Fatalf("web-extra after v3 = %q, want deleted", got)
	}
	if got := f.secretData("web-credentials", "API_TOKEN"); got != "demo-helm-token-v3-c3d8e1" {
		t.Fatalf("Secret after v3 = %q", got)
	}
	if _, err := f.client.MarkFailed(ctx, 3, "kship: CrashLoopBackOff"); err != nil {
		t.Fatal(err)
	}
	h := f.history()
	good := helm.ForKship(h, 2)
	if good == nil || good.Number != 2 {
		t.Fatalf("ForKship(2) = %+v in %+v", good, h)
	}
	op, err = f.client.Rollback(ctx, helm.RollbackRequest{To: good.Number, KshipRevision: 4, Description: "kship: rollback to 2"})
	if err != nil || op.Revision != 4 || op.Status != helm.StatusDeployed || op.To != 2 || op.From != 3 {
		t.Fatalf("rollback = %v, %v", op, err)
	}
	if got := f.configData("web-config", "DEMO_VERSION"); got != "v2" {
		t.Errorf("ConfigMap after rollback = %q, want v2", got)
	}
	if got := f.secretData("web-credentials", "API_TOKEN"); got != "demo-helm-token-v2-91c04a" {
		t.Errorf("Secret after rollback = %q, want v2's", got)
	}
	if got := f.configData("web-extra", "ADDED_IN"); got != "v2" {
		t.Errorf("web-extra after rollback = %q, want recreated", got)
	}
	h = f.history()
	if got := statuses(h); got != "superseded,superseded,failed,deployed" {
		t.Errorf("SDK history = %s", got)
	}
	if h[3].KshipRevision != 4 || h[3].RollbackTo != 2 || h[2].Description != "kship: CrashLoopBackOff" {
		t.Errorf("rollback revision = %+v, failed = %+v", h[3], h[2])
	}
	if got := f.cliHistory(); got != "superseded,superseded,failed,deployed" {
		t.Errorf("helm CLI history = %s", got)
	}
}

// Helm's SDK reports a failed upgrade (here its pre-upgrade hook's Job
// fails) as a warning of its logger: it reaches the Client's Warn (the
// run's stream; it was dropped before), and the failed hook is reported in
// the operation.
func TestE2EWarningsReachTheStream(t *testing.T) {
	f := newFixture(t, "kship-helm-warn-")
	ctx := f.ctx(4 * time.Minute)
	var warnings []string
	f.client.Warn = func(msg string) { warnings = append(warnings, msg) }
	if _, err := f.client.Write(ctx, f.request(1, nil, "v1.yaml")); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings of a good install: %q", warnings)
	}
	op, err := f.client.Write(ctx, f.request(2, map[string]string{"migrateBehavior": "fail"}, "v2.yaml"))
	if err == nil {
		t.Fatalf("upgrade with a failing pre-upgrade hook = %v, want an error", op)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "Helm SDK warning: upgrade failed (name=web error=") || !strings.Contains(warnings[0], "web-migrate") {
		t.Errorf("warnings = %q, want Helm's \"upgrade failed\" naming the hook", warnings)
	}
	if op == nil || op.Status != helm.StatusFailed || len(op.Hooks) != 1 || op.Hooks[0].Name != "web-migrate" || op.Hooks[0].Phase != "Failed" {
		t.Errorf("failed upgrade = %+v, want revision failed with hook web-migrate Failed", op)
	}
}

// startHelm starts the helm CLI (not waiting for it).
func (f *fixture) startHelm(args ...string) *exec.Cmd {
	f.t.Helper()
	cmd := exec.Command(helmCLI(f.t, f.env.RepoRoot), append(args, "--kubeconfig", f.env.Kubeconfig, "-n", f.ns)...)
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// waitPending waits until the release's last revision is pending.
func (f *fixture) waitPending(status string) helm.Revision {
	f.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if p, err := f.client.Pending(f.ctx(10 * time.Second)); err == nil && p != nil && p.Status == status {
			return *p
		}
		time.Sleep(200 * time.Millisecond)
	}
	f.t.Fatalf("release never became %s: %s", status, statuses(f.history()))
	return helm.Revision{}
}

// A release the helm CLI created is adopted (kship's next write continues
// its history); another client's pending-upgrade, left by a helm CLI
// killed mid-upgrade, is refused naming the state and the commands; and
// once recovered the way the refusal says, kship writes again and the
// helm CLI can roll kship's revision back (no field conflicts).
func TestE2EAdoptPendingAndRecover(t *testing.T) {
	f := newFixture(t, "kship-helm-adopt-")
	ctx := f.ctx(5 * time.Minute)
	f.helmRun("install", "web", filepath.Join(f.dir, "chart"), "-f", filepath.Join(f.dir, "v1.yaml"))

	op, err := f.client.Write(ctx, f.request(1, nil, "v2.yaml"))
	if err != nil || op.Action != helm.ActionUpgrade || op.Revision != 2 {
		t.Fatalf("adopting upgrade = %v, %v", op, err)
	}
	if got := f.cliHistory(); got != "superseded,deployed" {
		t.Fatalf("helm history after kship's upgrade = %s", got)
	}

	// Another client's upgrade, killed while its pre-upgrade hook runs
	// (the hook's pod never completes): pending-upgrade.
	cmd := f.startHelm("upgrade", "web", filepath.Join(f.dir, "chart"), "-f", filepath.Join(f.dir, "v2.yaml"), "--set", "migrateBehavior=unready,version=v9", "--timeout", "10m")
	p := f.waitPending(helm.StatusPendingUpgrade)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if p.Number != 3 || p.KshipRevision != 0 {
		t.Fatalf("pending = %+v", p)
	}
	_, err = f.client.Write(ctx, f.request(2, nil, "v1.yaml"))
	var pe *helm.PendingError
	if !asPending(err, &pe) {
		t.Fatalf("write over another client's pending-upgrade = %v, want a PendingError", err)
	}
	msg := pe.Error()
	for _, want := range []string{"is pending-upgrade at revision 3", "by another client", "kship changed nothing", "helm rollback web 2 -n " + f.ns} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q lacks %q", msg, want)
		}
	}
	if got := statuses(f.history()); got != "superseded,deployed,pending-upgrade" {
		t.Fatalf("history after the refusal = %s (kship must change nothing)", got)
	}

	ops, err := f.client.Recover(ctx, p, "helm upgrade killed")
	if err != nil || len(ops) != 2 || ops[1].Action != helm.ActionRollback || ops[1].To != 2 {
		t.Fatalf("recover = %v, %v", ops, err)
	}
	if got := statuses(f.history()); got != "superseded,superseded,failed,deployed" {
		t.Fatalf("history after recovery = %s", got)
	}
	if got := f.configData("web-config", "DEMO_VERSION"); got != "v2" {
		t.Errorf("ConfigMap after recovery = %q, want v2", got)
	}
	op, err = f.client.Write(ctx, f.request(3, nil, "v1.yaml"))
	if err != nil || op.Revision != 5 {
		t.Fatalf("write after recovery = %v, %v", op, err)
	}
	// Back to the helm CLI: it rolls kship's revision back without conflicts.
	f.helmRun("rollback", "web", "4")
	if got := f.configData("web-config", "DEMO_VERSION"); got != "v2" {
		t.Errorf("ConfigMap after helm rollback = %q, want v2", got)
	}
	if got := f.cliHistory(); got != "superseded,superseded,failed,superseded,superseded,deployed" {
		t.Errorf("helm history at the end = %s", got)
	}
}

func asPending(err error, target **helm.PendingError) bool { return errors.As(err, target) }
