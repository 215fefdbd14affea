package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/release"
)

// helm3Bin is the Helm 3 CLI (bin/helm3 from make helm3), or, when it is
// missing, the same version the Makefile pins installed into the test's
// temporary folder.
func helm3Bin(t *testing.T, root string) string {
	t.Helper()
	bin := filepath.Join(root, "bin", "helm3")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^HELM3_VERSION\s*:?=\s*(\S+)`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile pins no HELM3_VERSION")
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "install", "helm.sh/helm/v3/cmd/helm@"+string(m[1]))
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install the Helm 3 CLI: %v\n%s", err, out)
	}
	return filepath.Join(dir, "helm")
}

// helm3 runs the Helm 3 CLI against the release's namespace, with its
// configuration and cache in the test's own folders; it fails the test
// when the command fails.
func (r *helmRelease) helm3(args ...string) string {
	r.t.Helper()
	out, err := r.helm3Cmd(args...)
	if err != nil {
		r.t.Fatalf("helm3 %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (r *helmRelease) helm3Cmd(args ...string) (string, error) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	home := filepath.Join(r.dir, "helm3-home")
	cmd := exec.CommandContext(ctx, helm3Bin(r.t, r.env.RepoRoot), append(args, "--kubeconfig", r.env.Kubeconfig, "-n", r.ns)...)
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+home+"/config", "HELM_CACHE_HOME="+home+"/cache", "HELM_DATA_HOME="+home+"/data")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// helm3Row is one revision as `helm3 history -o json` prints it.
type helm3Row struct {
	Revision    int    `json:"revision"`
	Status      string `json:"status"`
	Chart       string `json:"chart"`
	Description string `json:"description"`
}

// helm3History is the release's history as the Helm 3 CLI reads it.
func (r *helmRelease) helm3History() []helm3Row {
	r.t.Helper()
	var rows []helm3Row
	out := r.helm3("history", "web", "-o", "json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		r.t.Fatalf("helm3 history -o json: %v\n%s", err, out)
	}
	return rows
}

// helm3List is the release as `helm3 list -o json` lists it: revision and
// status ("" when it lists no release web).
func (r *helmRelease) helm3List() (revision, status, chart string) {
	r.t.Helper()
	var rows []struct {
		Name, Revision, Status, Chart string
	}
	out := r.helm3("list", "-a", "-o", "json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		r.t.Fatalf("helm3 list -o json: %v\n%s", err, out)
	}
	for _, row := range rows {
		if row.Name == "web" {
			return row.Revision, row.Status, row.Chart
		}
	}
	return "", "", ""
}

// checkHelm3History compares the Helm 3 CLI's history with want, one
// "status description-prefix" per revision, oldest first.
func (r *helmRelease) checkHelm3History(when string, want ...string) []helm3Row {
	r.t.Helper()
	rows := r.helm3History()
	var got []string
	ok := len(rows) == len(want)
	for i, row := range rows {
		got = append(got, fmt.Sprintf("%d %s %q", row.Revision, row.Status, row.Description))
		if ok {
			st, desc, _ := strings.Cut(want[i], " ")
			ok = row.Revision == i+1 && row.Status == st && strings.HasPrefix(row.Description, desc) && row.Chart == "web-1.0.0"
		}
	}
	if !ok {
		r.t.Fatalf("%s: helm3 history =\n  %s\nwant (status, description prefix)\n  %s", when, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	return rows
}

// kshipStatus is `kship status web -o json`.
func (r *helmRelease) kshipStatus() release.StatusReport {
	r.t.Helper()
	out, code := run(r.t, "status", "web", "-n", r.ns, "--kubeconfig", r.env.Kubeconfig, "-o", "json")
	var st release.StatusReport
	if code != exitcode.OK || json.Unmarshal([]byte(out), &st) != nil {
		r.t.Fatalf("kship status: exit %d\n%s", code, out)
	}
	return st
}

// kshipRevisions is kship's record, newest first: "number outcome".
func (r *helmRelease) kshipRevisions() string {
	r.t.Helper()
	out, code := run(r.t, "history", "web", "-n", r.ns, "--kubeconfig", r.env.Kubeconfig, "-o", "json")
	var revs []release.RevisionInfo
	if code != exitcode.OK || json.Unmarshal([]byte(out), &revs) != nil {
		r.t.Fatalf("kship history: exit %d\n%s", code, out)
	}
	var s []string
	for _, rev := range revs {
		s = append(s, fmt.Sprintf("%d %s", rev.Number, rev.Outcome))
	}
	return strings.Join(s, ", ")
}

// kshipOf is the kship revision that wrote each Helm revision (labels on
// Helm's storage), 0 for another client's: "helm:kship" pairs.
func (r *helmRelease) kshipOf() string {
	r.t.Helper()
	h := r.helmHistory()
	var s []string
	for _, rev := range h {
		s = append(s, fmt.Sprintf("%d:%d", rev.Number, rev.KshipRevision))
	}
	return strings.Join(s, " ")
}

// The Helm 3 CLI sees kship's Helm releases: after kship's install, upgrade
// and a crash-looping upgrade it rolled back, `helm3 list` and `helm3
// history` show each revision with Helm's status and kship's description.
// A `helm3 rollback` a human runs afterwards is another client's revision,
// and the next kship deploy continues from it: the Helm revision numbers,
// the kship revision each one records and kship's own history agree, and
// kship status names the revision and image that run.
func TestHelm3CLISeesKshipReleases(t *testing.T) {
	r := newHelmRelease(t, "cli-helm3-")
	for _, v := range []string{"v1.yaml", "v2.yaml"} {
		if out, code, _ := r.deploy(r.file(v, nil)); code != exitcode.OK {
			t.Fatalf("deploy %s: exit %d\n%s", v, code, out)
		}
	}
	if out, code, _ := r.deploy(r.file("v3-crashloop.yaml", nil)); code != exitcode.RolledBack {
		t.Fatalf("deploy v3 (crash loop): exit %d, want %d\n%s", code, exitcode.RolledBack, out)
	}
	if rev, st, chart := r.helm3List(); rev != "4" || st != "deployed" || chart != "web-1.0.0" {
		t.Errorf("helm3 list: release web at revision %q, %q, chart %q; want revision 4, deployed, web-1.0.0", rev, st, chart)
	}
	r.checkHelm3History("after kship's v1, v2 and the rolled-back v3",
		"superseded kship revision 1",
		"superseded kship revision 2",
		"failed kship: revision 3 failed, kship rolls back to revision 2: Deployment ",
		"deployed kship: rollback of revision 3 to revision 2 (Helm revision 2)")
	if got := r.kshipRevisions(); got != "4 deployed, 3 rolled-back, 2 superseded, 1 superseded" {
		t.Errorf("kship history = %s", got)
	}
	if got := r.kshipOf(); got != "1:1 2:2 3:3 4:4" {
		t.Errorf("kship revision of each Helm revision = %s, want 1:1 2:2 3:3 4:4", got)
	}

	// A human rolls back with the Helm 3 CLI, to v1.
	r.helm3("rollback", "web", "1")
	if got := r.data("ConfigMap", "web-config", "DEMO_VERSION"); got != "v1" {
		t.Fatalf("ConfigMap after helm3 rollback web 1 = %q, want v1", got)
	}
	r.checkHelm3History("after helm3 rollback web 1",
		"superseded kship revision 1",
		"superseded kship revision 2",
		"failed kship: revision 3 failed",
		"superseded kship: rollback of revision 3",
		"deployed Rollback to 1")
	if got := r.kshipOf(); got != "1:1 2:2 3:3 4:4 5:0" {
		t.Errorf("after helm3 rollback: kship revision of each Helm revision = %s, want 5:0 (another client's)", got)
	}

	// kship's next deploy continues Helm's history from revision 5.
	out, code, _ := r.deploy(r.file("v2.yaml", nil))
	if code != exitcode.OK {
		t.Fatalf("deploy v2 after helm3 rollback: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "Helm revision 6") {
		t.Errorf("deploy v2 does not name Helm revision 6:\n%s", out)
	}
	r.checkHelm3History("after kship deployed v2 again",
		"superseded kship revision 1",
		"superseded kship revision 2",
		"failed kship: revision 3 failed",
		"superseded kship: rollback of revision 3",
		"superseded Rollback to 1",
		"deployed kship revision 5")
	if got := r.kshipOf(); got != "1:1 2:2 3:3 4:4 5:0 6:5" {
		t.Errorf("kship revision of each Helm revision = %s, want …, 5:0 6:5", got)
	}
	if got := r.kshipRevisions(); got != "5 deployed, 4 superseded, 3 rolled-back, 2 superseded, 1 superseded" {
		t.Errorf("kship history after the deploy = %s", got)
	}
	st := r.kshipStatus()
	if st.State != "deployed" || st.Deployed == nil || st.Deployed.Number != 5 || strings.Join(st.Deployed.Images, ",") != "demo:v2" {
		t.Errorf("kship status: %s, %+v; want revision 5 deployed running demo:v2", st.State, st.Deployed)
	}
	if got := r.data("ConfigMap", "web-config", "DEMO_VERSION"); got != "v2" {
		t.Errorf("ConfigMap after kship's deploy = %q, want v2", got)
	}
}

// A release the Helm 3 CLI installed is adopted by the next kship deploy,
// which continues its history (Helm revision 2 is kship's revision 1, the
// Helm 3 CLI sees both), and a failed kship upgrade after it is rolled
// back by Helm to kship's revision, as the Helm 3 CLI then shows.
func TestHelm3InstallIsAdopted(t *testing.T) {
	r := newHelmRelease(t, "cli-helm3-adopt-")
	r.helm3("install", "web", filepath.Join(r.root, "chart"), "-f", filepath.Join(r.root, "v1.yaml"))
	if got := r.data("ConfigMap", "web-config", "DEMO_VERSION"); got != "v1" {
		t.Fatalf("ConfigMap after helm3 install = %q, want v1", got)
	}
	out, code, _ := r.deploy(r.file("v2.yaml", nil))
	if code != exitcode.OK {
		t.Fatalf("kship deploy over the Helm 3 CLI's release: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "Helm revision 2") {
		t.Errorf("deploy does not name Helm revision 2:\n%s", out)
	}
	r.checkHelm3History("after kship adopted the release", "superseded Install complete", "deployed kship revision 1")
	if got := r.kshipOf(); got != "1:0 2:1" {
		t.Errorf("kship revision of each Helm revision = %s, want 1:0 2:1", got)
	}
	if rev, st, _ := r.helm3List(); rev != "2" || st != "deployed" {
		t.Errorf("helm3 list: revision %q %q, want 2 deployed", rev, st)
	}
	if got := r.data("ConfigMap", "web-extra", "ADDED_IN"); got != "v2" {
		t.Errorf("web-extra after kship's v2 = %q", got)
	}

	out, code, _ = r.deploy(r.file("v3-crashloop.yaml", nil))
	if code != exitcode.RolledBack {
		t.Fatalf("deploy v3 (crash loop): exit %d, want %d\n%s", code, exitcode.RolledBack, out)
	}
	r.checkHelm3History("after the rolled-back v3",
		"superseded Install complete",
		"superseded kship revision 1",
		"failed kship: revision 2 failed, kship rolls back to revision 1: Deployment ",
		"deployed kship: rollback of revision 2 to revision 1 (Helm revision 2)")
	if got := r.data("ConfigMap", "web-config", "DEMO_VERSION"); got != "v2" {
		t.Errorf("ConfigMap after the rollback = %q, want v2", got)
	}
	st := r.kshipStatus()
	if st.Deployed == nil || st.Deployed.Number != 3 || strings.Join(st.Deployed.Images, ",") != "demo:v2" {
		t.Errorf("kship status: %s, %+v; want revision 3 (the rollback) running demo:v2", st.State, st.Deployed)
	}
}

// runsImage waits (up to a minute: kship already waited for readiness)
// until the live Deployment web runs image with every replica ready: its
// template's image, its status (observed, updated and ready replicas) and
// ready pods of that image, read from the cluster, not from kship.
func (r *helmRelease) runsImage(when, image string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var last string
	for {
		last = r.deploymentState(ctx, image)
		if last == "" {
			return
		}
		select {
		case <-ctx.Done():
			r.t.Fatalf("%s: Deployment %s/web does not run %s with every replica ready: %s", when, r.ns, image, last)
		case <-time.After(time.Second):
		}
	}
}

// deploymentState says what keeps Deployment web from running image with
// every replica ready ("" when nothing does).
func (r *helmRelease) deploymentState(ctx context.Context, image string) string {
	d, err := r.cs.AppsV1().Deployments(r.ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		return err.Error()
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	if got := d.Spec.Template.Spec.Containers[0].Image; got != image {
		return "its template runs " + got
	}
	st := d.Status
	if st.ObservedGeneration < d.Generation || st.UpdatedReplicas != want || st.ReadyReplicas != want || st.Replicas != want {
		return fmt.Sprintf("status: generation %d/%d, replicas %d, updated %d, ready %d, want %d", st.ObservedGeneration, d.Generation, st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, want)
	}
	pods, err := r.cs.CoreV1().Pods(r.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		return err.Error()
	}
	ready := int32(0)
	for _, p := range pods.Items {
		ok := p.DeletionTimestamp == nil && p.Spec.Containers[0].Image == image
		for _, c := range p.Status.Conditions {
			if ok && c.Type == "Ready" && c.Status == "True" {
				ready++
			}
		}
	}
	if ready < want {
		return fmt.Sprintf("%d of %d pods of %s ready", ready, want, image)
	}
	return ""
}

// A release another client installed (helm3 install, v1) whose first kship
// deploy fails is rolled back to that client's Helm revision, not
// uninstalled: the Deployment still runs v1 with every pod ready, helm3
// history shows kship's failed revision and a rollback to revision 1,
// deployed, and kship records that rollback as the deployed revision,
// which status names and the next failed deploy restores again.
func TestHelm3InstallKeptWhenFirstKshipDeployFails(t *testing.T) {
	r := newHelmRelease(t, "cli-helm3-keep-")
	r.helm3("install", "web", filepath.Join(r.root, "chart"), "-f", filepath.Join(r.root, "v1.yaml"))
	r.runsImage("after helm3 install", "demo:v1")

	out, code, _ := r.deploy(r.file("v3-crashloop.yaml", nil))
	if code != exitcode.RolledBack {
		t.Fatalf("first kship deploy (v3, crash loop): exit %d, want %d\n%s", code, exitcode.RolledBack, out)
	}
	if strings.Contains(out, "deleted") || !strings.Contains(out, "Helm revision 1") {
		t.Errorf("the rollback does not say it restored Helm revision 1, or says it deleted:\n%s", out)
	}
	r.runsImage("after the failed first kship deploy", "demo:v1")
	if got := r.data("ConfigMap", "web-config", "DEMO_VERSION"); got != "v1" {
		t.Errorf("ConfigMap after the rollback = %q, want v1", got)
	}
	r.checkHelm3History("after the failed first kship deploy",
		"superseded Install complete",
		"failed kship: revision 1 failed, kship rolls back to Helm revision 1: Deployment ",
		"deployed kship: rollback of revision 1 to Helm revision 1 (installed by another client")
	if to := r.rollbackTo(3); to != 1 {
		t.Errorf("Helm revision 3 rolls back to revision %d, want 1", to)
	}
	if got := r.kshipRevisions(); got != "2 deployed, 1 rolled-back" {
		t.Errorf("kship history = %s, want 2 deployed, 1 rolled-back", got)
	}
	if got := r.kshipOf(); got != "1:0 2:1 3:2" {
		t.Errorf("kship revision of each Helm revision = %s, want 1:0 2:1 3:2", got)
	}
	st := r.kshipStatus()
	if st.Deployed == nil || st.Deployed.Number != 2 || strings.Join(st.Deployed.Images, ",") != "demo:v1" || !strings.Contains(st.Deployed.Message, "Helm revision 1") {
		t.Errorf("kship status: %s, %+v; want revision 2 (the rollback to Helm revision 1) running demo:v1", st.State, st.Deployed)
	}

	// A second failing deploy restores kship's revision 2: v1 again.
	out, code, _ = r.deploy(r.file("v3-crashloop.yaml", nil))
	if code != exitcode.RolledBack {
		t.Fatalf("second kship deploy (v3, crash loop): exit %d, want %d\n%s", code, exitcode.RolledBack, out)
	}
	r.runsImage("after the second failed kship deploy", "demo:v1")
	r.checkHelm3History("after the second failed kship deploy",
		"superseded Install complete",
		"failed kship: revision 1 failed",
		"superseded kship: rollback of revision 1 to Helm revision 1",
		"failed kship: revision 3 failed, kship rolls back to revision 2: Deployment ",
		"deployed kship: rollback of revision 3 to revision 2 (Helm revision 3)")
	st = r.kshipStatus()
	if st.Deployed == nil || st.Deployed.Number != 4 || strings.Join(st.Deployed.Images, ",") != "demo:v1" {
		t.Errorf("kship status after the second failure: %s, %+v; want revision 4 running demo:v1", st.State, st.Deployed)
	}
}

// rollbackTo is the revision Helm revision n rolled back to (0: none), as
// Helm's storage records it.
func (r *helmRelease) rollbackTo(n int) int {
	r.t.Helper()
	h := r.helmHistory()
	for _, rev := range h {
		if rev.Number == n {
			return rev.RollbackTo
		}
	}
	return 0
}

// A rollback drill of kship's first revision of a release the Helm 3 CLI
// installed rolls back as a failed deploy of it would: Helm's rollback to
// the other client's Helm revision 1 (demo:v1, verified with the release's
// checks), then forward to kship's revision with Helm's rollback to its
// Helm revision; the release is never uninstalled and ends running
// kship's demo:v2. On the old code the drill uninstalled the release.
func TestHelm3InstallDrilledToItsHelmRevision(t *testing.T) {
	r := newHelmRelease(t, "cli-helm3-drill-")
	r.helm3("install", "web", filepath.Join(r.root, "chart"), "-f", filepath.Join(r.root, "v1.yaml"))
	r.runsImage("after helm3 install", "demo:v1")
	if out, code, _ := r.deploy(r.file("v2.yaml", nil)); code != exitcode.OK {
		t.Fatalf("kship deploy v2 over the Helm 3 CLI's release: exit %d\n%s", code, out)
	}
	out, code := run(t, "rollback", "web", "-n", r.ns, "--drill", "--kubeconfig", r.env.Kubeconfig, "--evidence-dir", filepath.Join(r.dir, "evidence"))
	if code != exitcode.OK || !strings.Contains(out, "rolled back to Helm revision 1 (installed by another client") || strings.Contains(out, "removed") {
		t.Fatalf("kship rollback --drill: exit %d, want 0, naming Helm revision 1 and removing nothing:\n%s", code, out)
	}
	r.checkHelm3History("after the drill",
		"superseded Install complete",
		"superseded kship revision 1",
		"superseded kship: rollback of revision 1 to Helm revision 1 (installed by another client",
		"deployed kship: rollback of revision 2 to revision 1 (Helm revision 2)")
	if to3, to4 := r.rollbackTo(3), r.rollbackTo(4); to3 != 1 || to4 != 2 {
		t.Errorf("Helm revisions 3 and 4 roll back to %d and %d, want 1 and 2", to3, to4)
	}
	if got := r.kshipOf(); got != "1:0 2:1 3:2 4:3" {
		t.Errorf("kship revision of each Helm revision = %s, want 1:0 2:1 3:2 4:3", got)
	}
	r.runsImage("after the drill", "demo:v2")
	if got := r.data("ConfigMap", "web-config", "DEMO_VERSION"); got != "v2" {
		t.Errorf("ConfigMap after the drill = %q, want v2", got)
	}
	st := r.kshipStatus()
	if st.Deployed == nil || st.Deployed.Number != 3 || strings.Join(st.Deployed.Images, ",") != "demo:v2" {
		t.Errorf("kship status after the drill: %s, %+v; want revision 3 running demo:v2", st.State, st.Deployed)
	}
}

// evidenceOf reads evidence.json of the release's revision n from the
// test's evidence folder, as JSON (what a user's tool reads).
func (r *helmRelease) evidenceOf(n int) (map[string]any, string) {
	r.t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(r.dir, "evidence", "web", fmt.Sprintf("%d-*", n)))
	if len(dirs) != 1 {
		r.t.Fatalf("evidence folders of revision %d: %v", n, dirs)
	}
	var b map[string]any
	data, err := os.ReadFile(filepath.Join(dirs[0], "evidence.json"))
	if err == nil {
		err = json.Unmarshal(data, &b)
	}
	if err != nil {
		r.t.Fatalf("evidence.json of revision %d: %v", n, err)
	}
	return b, dirs[0]
}

// originOf is the Helm revision a JSON object's restoredOrigin (or, with
// key, that field) names: its revision and name ("0 <none>" without one).
func originOf(m map[string]any, key string) string {
	o, ok := m[key].(map[string]any)
	if !ok {
		return "0 <none>"
	}
	n, _ := o["revision"].(float64)
	name, _ := o["name"].(string)
	return fmt.Sprintf("%d %s", int(n), name)
}

// A failed first kship deploy of a release the Helm 3 CLI installed says
// in its evidence what happened: rollback.md restores Helm revision 1 with
// `helm rollback web 1` and deletes nothing by hand, and the Helm
// revision restored is recorded as restoredOrigin, the same in the failed
// deploy's evidence.json, the rollback revision's and in the rollback
// revision's record (its revision Secret and kship history -o json). On
// the old code rollback.md listed kubectl delete of every object and
// restoredRevision was 0 with nothing naming Helm revision 1.
func TestHelm3FirstKshipDeployFailureEvidenceNamesTheHelmRevision(t *testing.T) {
	r := newHelmRelease(t, "cli-helm3-ev-")
	r.helm3("install", "web", filepath.Join(r.root, "chart"), "-f", filepath.Join(r.root, "v1.yaml"))
	r.runsImage("after helm3 install", "demo:v1")
	out, code, _ := r.deploy(r.file("v3-crashloop.yaml", nil))
	if code != exitcode.RolledBack {
		t.Fatalf("first kship deploy (v3, crash loop): exit %d, want %d\n%s", code, exitcode.RolledBack, out)
	}
	if !strings.Contains(out, "rollback:  restored Helm revision 1 (installed by another client") {
		t.Errorf("the summary does not say it restored Helm revision 1:\n%s", out)
	}
	deploy, dir := r.evidenceOf(1)
	md, err := os.ReadFile(filepath.Join(dir, "rollback.md"))
	if err != nil {
		t.Fatal(err)
	}
	helmCmd := "helm rollback web 1 -n " + r.ns
	if !strings.Contains(string(md), helmCmd) || !strings.Contains(string(md), "restores Helm revision 1") || strings.Contains(string(md), "delete ") {
		t.Errorf("rollback.md of revision 1 does not restore Helm revision 1 with %q (or deletes by hand):\n%s", helmCmd, md)
	}
	steps, _ := deploy["rollback"].(map[string]any)
	if got := originOf(steps, "origin"); got != "1 Helm revision 1" || steps["originCommand"] != helmCmd || steps["delete"] != nil {
		t.Errorf("evidence.json rollback steps of revision 1: origin %s, %v", got, steps)
	}
	if got := originOf(deploy, "restoredOrigin"); got != "1 Helm revision 1" || deploy["rollbackRevision"] != 2.0 {
		t.Errorf("evidence.json of revision 1: restoredOrigin %s, rollbackRevision %v; want Helm revision 1, 2", got, deploy["rollbackRevision"])
	}
	rb, _ := r.evidenceOf(2)
	if got := originOf(rb, "restoredOrigin"); got != "1 Helm revision 1" {
		t.Errorf("evidence.json of rollback revision 2: restoredOrigin %s, want Helm revision 1", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sec, err := r.cs.CoreV1().Secrets(r.ns).Get(ctx, "kship.web.v2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(sec.Data["record.json"], &rec); err != nil {
		t.Fatal(err)
	}
	if got := originOf(rec, "restoredOrigin"); got != "1 Helm revision 1" || rec["rollbackOf"] != 1.0 {
		t.Errorf("record of revision 2: restoredOrigin %s, rollbackOf %v; want Helm revision 1, 1", got, rec["rollbackOf"])
	}
	hist, code := run(t, "history", "web", "-n", r.ns, "--kubeconfig", r.env.Kubeconfig, "-o", "json")
	var revs []map[string]any
	if code != exitcode.OK || json.Unmarshal([]byte(hist), &revs) != nil || len(revs) != 2 {
		t.Fatalf("kship history: exit %d\n%s", code, hist)
	}
	if got := originOf(revs[0], "restoredOrigin"); got != "1 Helm revision 1" {
		t.Errorf("kship history: revision %v restoredOrigin %s, want Helm revision 1", revs[0]["revision"], got)
	}
}

// Between a `helm3 rollback` a human runs and the next kship deploy,
// kship status says that Helm's deployed revision is not the one kship's
// record names (human and JSON output, naming the Helm revision and who
// wrote it); once kship deploys again, they agree and it says nothing.
// On the old code status named kship's revision 2 as running, silently.
func TestHelm3RollbackByHandShownByStatus(t *testing.T) {
	r := newHelmRelease(t, "cli-helm3-drift-")
	for _, v := range []string{"v1.yaml", "v2.yaml"} {
		if out, code, _ := r.deploy(r.file(v, nil)); code != exitcode.OK {
			t.Fatalf("deploy %s: exit %d\n%s", v, code, out)
		}
	}
	drift := func() (string, string) {
		t.Helper()
		human, code := run(t, "status", "web", "-n", r.ns, "--kubeconfig", r.env.Kubeconfig)
		js, code2 := run(t, "status", "web", "-n", r.ns, "--kubeconfig", r.env.Kubeconfig, "-o", "json")
		var st map[string]any
		if code != exitcode.OK || code2 != exitcode.OK || json.Unmarshal([]byte(js), &st) != nil {
			t.Fatalf("kship status: exit %d, %d\n%s\n%s", code, code2, human, js)
		}
		d, _ := st["drift"].(string)
		return human, d
	}
	if human, d := drift(); d != "" || strings.Contains(human, "NOT what runs") {
		t.Errorf("status after kship's own deploys says drift %q:\n%s", d, human)
	}
	r.helm3("rollback", "web", "1")
	r.runsImage("after helm3 rollback web 1", "demo:v1")
	human, d := drift()
	for _, want := range []string{"Helm revision 3", "another client: Rollback to 1", "not kship revision 2"} {
		if !strings.Contains(d, want) || !strings.Contains(human, "NOT what runs") || !strings.Contains(human, want) {
			t.Errorf("status after helm3 rollback does not say %q (drift %q):\n%s", want, d, human)
		}
	}
	if out, code, _ := r.deploy(r.file("v2.yaml", nil)); code != exitcode.OK {
		t.Fatalf("deploy v2 after helm3 rollback: exit %d\n%s", code, out)
	}
	if human, d := drift(); d != "" || strings.Contains(human, "NOT what runs") {
		t.Errorf("status after kship deployed again says drift %q:\n%s", d, human)
	}
}
