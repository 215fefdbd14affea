package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/helm"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/testenv"
)

// helmRelease is a release of the example chart (examples/helm) with
// spec.mechanism helm, in a namespace of its own.
type helmRelease struct {
	t    *testing.T
	env  *testenv.Env
	cs   kubernetes.Interface
	kc   *kube.Clients
	ns   string
	dir  string
	root string // examples/helm
}

func newHelmRelease(t *testing.T, prefix string) *helmRelease {
	t.Helper()
	env := testenv.Get(t)
	kc, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	return &helmRelease{t: t, env: env, cs: kc.Typed, kc: kc, ns: testenv.Namespace(t, env, prefix), dir: t.TempDir(),
		root: filepath.Join(env.RepoRoot, "examples", "helm")}
}

// file writes the release file of one version (a values file of
// examples/helm, set values) and returns its path.
func (r *helmRelease) file(values string, set map[string]string) string {
	r.t.Helper()
	sets := ""
	for k, v := range set {
		sets += fmt.Sprintf("\n        %s: %q", k, v)
	}
	if sets != "" {
		sets = "\n      set:" + sets
	}
	spec := fmt.Sprintf(`apiVersion: kship.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  namespace: %s
  mechanism: helm
  source:
    helm:
      chart: %s
      values: [%s]%s
  verify:
    rolloutTimeout: 2m
    smoke:
      - name: health
        http: {url: "http://%s/healthz", headers: {Host: web.%s}, expectStatus: 200}
        retries: 3
        backoff: 500ms
        timeout: 2s
  stabilize: {window: 0s}
  detector: {restartThreshold: 2}
`, r.ns, filepath.Join(r.root, "chart"), filepath.Join(r.root, values), sets, r.env.Ingress, r.ns)
	path := filepath.Join(r.dir, strings.TrimSuffix(values, ".yaml")+"-kship.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		r.t.Fatal(err)
	}
	return path
}

func (r *helmRelease) deploy(file string) (string, int, time.Duration) {
	r.t.Helper()
	start := time.Now()
	out, code := run(r.t, "deploy", "-f", file, "--kubeconfig", r.env.Kubeconfig, "--evidence-dir", filepath.Join(r.dir, "evidence"))
	return out, code, time.Since(start)
}

// helmHistory is release web's Helm revisions, as Helm's SDK reads its
// storage.
func (r *helmRelease) helmHistory() []helm.Revision {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := helm.Open(r.kc, r.ns, "web").History(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// history is the Helm history as Helm's SDK reads it (the helm CLI's
// `helm history` reads the same storage through the same action).
func (r *helmRelease) history() string {
	r.t.Helper()
	h := r.helmHistory()
	var s []string
	for _, rev := range h {
		s = append(s, rev.Status)
	}
	return strings.Join(s, ",")
}

// description is Helm revision n's description, as `helm history` shows it.
func (r *helmRelease) description(n int) string {
	r.t.Helper()
	h := r.helmHistory()
	for _, rev := range h {
		if rev.Number == n {
			return rev.Description
		}
	}
	return ""
}

func (r *helmRelease) data(kind, name, key string) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if kind == "Secret" {
		s, err := r.cs.CoreV1().Secrets(r.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return string(s.Data[key])
	}
	cm, err := r.cs.CoreV1().ConfigMaps(r.ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return cm.Data[key]
}

// kship deploy with spec.mechanism helm: each version is a real Helm
// revision; a crash-looping version is caught by kship's detector in
// seconds (Helm marked it deployed: it does not wait), Helm-rolled back to
// the last good Helm revision, verified, exit 3, with the ConfigMap, the
// Secret and the ConfigMap the bad version deleted restored, and Helm's
// history telling the truth.
func TestHelmDeployRollsBackWithHelm(t *testing.T) {
	r := newHelmRelease(t, "cli-helm-")
	if out, code, _ := r.deploy(r.file("v1.yaml", nil)); code != exitcode.OK {
		t.Fatalf("deploy v1: exit %d\n%s", code, out)
	}
	out, code, _ := r.deploy(r.file("v2.yaml", nil))
	if code != exitcode.OK || !strings.Contains(out, "Helm revision 2") {
		t.Fatalf("deploy v2: exit %d\n%s", code, out)
	}
	// The pre-upgrade hook Helm ran is in the evidence (the Helm
	// operation's hooks) and listed in the checks.
	dir := evidenceDirOf(t, out)
	ev, err := os.ReadFile(filepath.Join(dir, "evidence.json"))
	if err != nil {
		t.Fatal(err)
	}
	if hooks := helmHooks(t, ev); hooks != "Job web-migrate pre-install,pre-upgrade Succeeded" {
		t.Errorf("hooks in evidence.json = %q, want the Job web-migrate, Succeeded", hooks)
	}
	if cl, err := os.ReadFile(filepath.Join(dir, "release-checklist.md")); err != nil || !strings.Contains(string(cl), "web-migrate") {
		t.Errorf("release-checklist.md does not list the hook web-migrate (%v)", err)
	}
	if got := r.history(); got != "superseded,deployed" {
		t.Fatalf("Helm history after v1, v2 = %s", got)
	}
	if got := r.data("ConfigMap", "web-extra", "ADDED_IN"); got != "v2" {
		t.Fatalf("web-extra after v2 = %q", got)
	}
	out, code, took := r.deploy(r.file("v3-crashloop.yaml", nil))
	if code != exitcode.RolledBack {
		t.Fatalf("deploy v3 (crash loop): exit %d, want %d\n%s", code, exitcode.RolledBack, out)
	}
	for _, want := range []string{"CrashLoopBackOff", "helm rollback web 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("deploy v3 output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("crash-looping version: exit 3 after %s (deploy, detection, Helm rollback, verification)", took.Round(time.Millisecond))
	if took > 90*time.Second {
		t.Errorf("deploy v3 took %s: the detector, not a timeout, must end it", took)
	}
	if got := r.history(); got != "superseded,superseded,failed,deployed" {
		t.Errorf("Helm history after the rollback = %s, want superseded,superseded,failed,deployed", got)
	}
	// helm history names kship's trigger on the failed revision (not the
	// message kship records while a revision is being deployed).
	if d := r.description(3); !strings.HasPrefix(d, "kship: revision 3 failed, kship rolls back to revision 2: Deployment ") || !strings.Contains(d, "CrashLoopBackOff") {
		t.Errorf("helm history's description of the failed revision 3 = %q, want kship's trigger (CrashLoopBackOff) and the rollback", d)
	}
	if got := r.data("ConfigMap", "web-config", "DEMO_VERSION"); got != "v2" {
		t.Errorf("ConfigMap after rollback = %q, want v2", got)
	}
	if got := r.data("Secret", "web-credentials", "API_TOKEN"); got != "demo-helm-token-v2-91c04a" {
		t.Errorf("Secret after rollback: not v2's")
	}
	if got := r.data("ConfigMap", "web-extra", "ADDED_IN"); got != "v2" {
		t.Errorf("web-extra (deleted by v3) after rollback = %q, want recreated", got)
	}
	if strings.Contains(out, "demo-helm-token") {
		t.Errorf("a Secret value is in the output")
	}
	// A later rollback finds the Helm revision the rollback wrote.
	out, code = run(t, "rollback", "web", "-n", r.ns, "--kubeconfig", r.env.Kubeconfig, "--evidence-dir", filepath.Join(r.dir, "evidence"))
	if code != exitcode.OK {
		t.Fatalf("kship rollback: exit %d\n%s", code, out)
	}
	if got := r.data("ConfigMap", "web-config", "DEMO_VERSION"); got != "v1" {
		t.Errorf("ConfigMap after kship rollback = %q, want v1", got)
	}
	if got := r.history(); got != "superseded,superseded,failed,superseded,deployed" {
		t.Errorf("Helm history after kship rollback = %s", got)
	}
}

// helmHooks are the hooks of the Helm operations in evidence.json, one
// "Kind name events phase" each.
func helmHooks(t *testing.T, evidence []byte) string {
	t.Helper()
	var b struct {
		Events []struct {
			Type string `json:"type"`
			Data struct {
				Hooks []struct {
					Kind, Name, Phase string
					Events            []string
				} `json:"hooks"`
			} `json:"data"`
		} `json:"events"`
	}
	if err := json.Unmarshal(evidence, &b); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range b.Events {
		for _, h := range e.Data.Hooks {
			if e.Type == "helm.operation" {
				out = append(out, fmt.Sprintf("%s %s %s %s", h.Kind, h.Name, strings.Join(h.Events, ","), h.Phase))
			}
		}
	}
	return strings.Join(out, "; ")
}

// evidenceDirOf is the evidence folder a command's summary names.
func evidenceDirOf(t *testing.T, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if d, ok := strings.CutPrefix(l, "  evidence:  "); ok {
			return strings.TrimSpace(d)
		}
	}
	t.Fatalf("no evidence folder in the output:\n%s", out)
	return ""
}

// helmCLIBin is the helm CLI of kship's Helm module (bin/helm from make
// helm, or built for the test).
func helmCLIBin(t *testing.T, root string) string {
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

// start starts a command in the background, killed at the end of the
// test; its output goes to out.
func start(t *testing.T, out *bytes.Buffer, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// waitPending waits until the release's last Helm revision is pending-upgrade.
func (r *helmRelease) waitPending(out *bytes.Buffer) helm.Revision {
	r.t.Helper()
	c := helm.Open(r.kc, r.ns, "web")
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p, err := c.Pending(ctx)
		cancel()
		if err == nil && p != nil && p.Status == helm.StatusPendingUpgrade {
			return *p
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.t.Fatalf("release never became pending-upgrade: %s; the command said:\n%s", r.history(), out)
	return helm.Revision{}
}

// A release the helm CLI installed is adopted (kship's deploy continues
// its history); a pending-upgrade another client left (a helm CLI killed
// mid-upgrade) is refused, exit 2, naming the state and the commands; one
// left by killing kship mid-release is recovered by the next kship deploy.
func TestHelmAdoptPendingAndRecover(t *testing.T) {
	r := newHelmRelease(t, "cli-helm-pend-")
	helmBin := helmCLIBin(t, r.env.RepoRoot)
	kc := []string{"--kubeconfig", r.env.Kubeconfig, "-n", r.ns}
	if out, err := exec.Command(helmBin, append([]string{"install", "web", filepath.Join(r.root, "chart"), "-f", filepath.Join(r.root, "v1.yaml")}, kc...)...).CombinedOutput(); err != nil {
		t.Fatalf("helm install: %v\n%s", err, out)
	}
	if out, code, _ := r.deploy(r.file("v2.yaml", nil)); code != exitcode.OK {
		t.Fatalf("kship deploy over the helm CLI's release: exit %d\n%s", code, out)
	}
	if got := r.history(); got != "superseded,deployed" {
		t.Fatalf("Helm history after adopting = %s, want superseded,deployed", got)
	}

	// Another client's upgrade, killed while its pre-upgrade hook runs.
	var helmOut, kshipOut bytes.Buffer
	cmd := start(t, &helmOut, helmBin, append([]string{"upgrade", "web", filepath.Join(r.root, "chart"), "-f", filepath.Join(r.root, "v2.yaml"),
		"--set", "migrateBehavior=unready,version=v9", "--timeout", "10m"}, kc...)...)
	r.waitPending(&helmOut)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	out, code, _ := r.deploy(r.file("v1.yaml", nil))
	if code != exitcode.Refused {
		t.Fatalf("deploy over another's pending-upgrade: exit %d, want %d\n%s", code, exitcode.Refused, out)
	}
	for _, want := range []string{"pending-upgrade at revision 3", "another client", "helm rollback web 2 -n " + r.ns} {
		if !strings.Contains(out, want) {
			t.Errorf("refusal lacks %q:\n%s", want, out)
		}
	}
	if got := r.history(); got != "superseded,deployed,pending-upgrade" {
		t.Fatalf("Helm history after the refusal = %s: kship must change nothing", got)
	}
	if out, err := exec.Command(helmBin, append([]string{"rollback", "web", "2"}, kc...)...).CombinedOutput(); err != nil {
		t.Fatalf("helm rollback (what the refusal says to run): %v\n%s", err, out)
	}

	// kship killed while Helm runs its pre-upgrade hook: pending-upgrade,
	// kship's own; the next deploy recovers it and deploys.
	kship := testenv.BuildKship(t, r.env.RepoRoot)
	stuck := r.file("v1.yaml", map[string]string{"migrateBehavior": "unready"})
	k := start(t, &kshipOut, kship, "deploy", "-f", stuck, "--kubeconfig", r.env.Kubeconfig, "--evidence-dir", filepath.Join(r.dir, "evidence"))
	p := r.waitPending(&kshipOut)
	if p.KshipRevision == 0 {
		t.Fatalf("pending revision %+v is not kship's", p)
	}
	_ = k.Process.Kill()
	_ = k.Wait()
	out, code, _ = r.deploy(r.file("v1.yaml", nil))
	if code != exitcode.OK {
		t.Fatalf("deploy after kship was killed mid-release: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "recovering it") {
		t.Errorf("deploy does not say it recovered the pending revision:\n%s", out)
	}
	h := r.history()
	if !strings.HasSuffix(h, ",failed,deployed,deployed") && !strings.HasSuffix(h, ",failed,superseded,deployed") {
		t.Errorf("Helm history after recovery = %s, want …,failed,superseded,deployed", h)
	}
	if got := r.data("ConfigMap", "web-config", "DEMO_VERSION"); got != "v1" {
		t.Errorf("ConfigMap after the recovered deploy = %q, want v1", got)
	}
}
