package release_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiext "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kship/kship/internal/cli"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/plan"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/testenv"
	"github.com/kship/kship/internal/validate"
)

// checkJSON is the JSON output of kship check; its checks are checks.json.
type checkJSON struct {
	Plan   plan.Plan `json:"plan"`
	Checks struct {
		Release   string           `json:"release"`
		Namespace string           `json:"namespace"`
		Blocking  bool             `json:"blocking"`
		Counts    map[string]int   `json:"counts"`
		Checks    []validate.Check `json:"checks"`
	} `json:"checks"`
	EvidenceDir string `json:"evidenceDir"`
}

// TestCheckAcceptanceBadBundle is issue 3's first acceptance case: one
// bundle with four problems (a missing Secret key, an unknown field, a
// removed API version, a custom resource its CRD does not allow) and a new
// Namespace with a ConfigMap and a Deployment in it. kship check exits 2,
// lists exactly the four problems with file and line, passes the
// new-namespace objects, and leaves the cluster unchanged.
func TestCheckAcceptanceBadBundle(t *testing.T) {
	env := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, env, "p3c-bad-")
	cs := env.Clientset(t)
	_, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		StringData: map[string]string{"user": "admin"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	suffix := rand.String(6)
	group := "p3c" + suffix + ".kship.test"
	crd := createWidgetCRD(ctx, t, env, group)
	newNS := "p3c-new-" + suffix
	file := release.CopyFixture(t, "acceptance-bad", map[string]string{"__NS__": ns, "__INGRESS__": env.Ingress, "__NEWNS__": newNS, "__GROUP__": group, "__KIND__": "Widget"})
	before := snapshot(ctx, t, env, ns, newNS, crd)

	evDir := t.TempDir()
	out, code := runCLI(ctx, t, env, "check", "-f", file, "--evidence-dir", evDir, "-o", "json")
	if code != exitcode.Refused {
		t.Fatalf("kship check exit %d, want %d; output:\n%s", code, exitcode.Refused, out)
	}
	var res checkJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("JSON output: %v\n%s", err, out)
	}
	want := map[string]struct{ id, file string }{
		"missing-key":   {validate.IDReference, "deploy/missing-key.yaml"},
		"unknown-field": {validate.IDSchema, "deploy/unknown-field.yaml"},
		"old-api":       {validate.IDAPIVersion, "deploy/old-api.yaml"},
		"big":           {validate.IDSchema, "deploy/widget.yaml"},
	}
	var fails []validate.Check
	for _, c := range res.Checks.Checks {
		if c.Status == validate.Fail {
			fails = append(fails, c)
		}
	}
	if len(fails) != len(want) {
		t.Errorf("%d failed checks, want exactly %d:\n%s", len(fails), len(want), describe(fails))
	}
	for _, c := range fails {
		w, ok := want[c.Object.Name]
		switch {
		case !ok:
			t.Errorf("unexpected failure: %s", describe([]validate.Check{c}))
		case c.ID != w.id || c.Source.File != w.file || c.Source.Line <= 0:
			t.Errorf("%s: got %s at %s, want %s at %s:<line>", c.Object, c.ID, c.Source, w.id, w.file)
		}
		delete(want, c.Object.Name)
	}
	for name := range want {
		t.Errorf("problem of %s not reported", name)
	}
	assertNewNamespacePasses(t, res, newNS)

	human, code := runCLI(ctx, t, env, "check", "-f", file, "--evidence-dir", evDir)
	if code != exitcode.Refused {
		t.Errorf("human kship check exit %d, want 2", code)
	}
	for _, c := range fails {
		if !strings.Contains(human, "✗ "+c.Source.String()+": ") {
			t.Errorf("human output does not list %s with ✗ and its file:line %s:\n%s", c.Object, c.Source, human)
		}
	}
	after := snapshot(ctx, t, env, ns, newNS, crd)
	if before != after {
		t.Errorf("kship check changed the cluster:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	assertEvidenceFiles(t, res.EvidenceDir, true)
}

// assertNewNamespacePasses checks that the objects of the namespace the
// release creates have no failure or warning, were dry-run in a stand-in
// namespace, and have a passing dry-run item.
func assertNewNamespacePasses(t *testing.T, res checkJSON, newNS string) {
	t.Helper()
	for _, c := range res.Checks.Checks {
		if (c.Object.Namespace == newNS || c.Object.Name == newNS) && c.Status != validate.Pass {
			t.Errorf("object of the new namespace did not pass: %s", describe([]validate.Check{c}))
		}
	}
	passed := map[string]bool{}
	for _, c := range res.Checks.Checks {
		if c.ID == validate.IDDryRun && c.Object.Namespace == newNS && c.Status == validate.Pass {
			passed[c.Object.Kind+"/"+c.Object.Name] = true
		}
	}
	for _, k := range []string{"ConfigMap/settings", "Deployment/api"} {
		if !passed[k] {
			t.Errorf("no passing dry-run item for %s in namespace %s", k, newNS)
		}
	}
	for _, c := range res.Plan.Changes {
		if c.Ref.Namespace == newNS && (c.DryRun.Mode != plan.DryRunStandIn || c.DryRunError != "") {
			t.Errorf("%s: dry-run %+v, error %q; want a passing stand-in dry-run", c.Ref, c.DryRun, c.DryRunError)
		}
	}
}

// TestCheckAcceptanceCleanBundle is issue 3's second acceptance case: a
// clean bundle passes every check and plans only creates; once applied by
// other means, changing one image shows exactly that field change, and a
// changed Secret shows as changed with its value in no output or file.
func TestCheckAcceptanceCleanBundle(t *testing.T) {
	env := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, env, "p3c-clean-")
	secret1, secret2 := "pw-one-"+rand.String(10), "pw-two-"+rand.String(10)
	file := release.CopyFixture(t, "acceptance-clean", map[string]string{"__NS__": ns, "__INGRESS__": env.Ingress, "__SECRET__": secret1})
	evDir := t.TempDir()
	var outputs []string

	out, code := runCLI(ctx, t, env, "check", "-f", file, "--evidence-dir", evDir, "-o", "json")
	outputs = append(outputs, out)
	var res checkJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitcode.OK {
		t.Fatalf("kship check exit %d (%v), want 0:\n%s", code, err, out)
	}
	for _, c := range res.Checks.Checks {
		if c.Status != validate.Pass {
			t.Errorf("check item did not pass: %s", describe([]validate.Check{c}))
		}
	}
	if n := len(res.Plan.Changes); res.Plan.Counts[plan.ActionCreate] != n || n != 5 {
		t.Errorf("plan counts %v of %d changes, want 5 creates only", res.Plan.Counts, n)
	}
	assertEvidenceFiles(t, res.EvidenceDir, true)

	applyByOtherMeans(ctx, t, env, file)
	replaceInFile(t, filepath.Join(filepath.Dir(file), "deploy", "web.yaml"), "image: demo:v1", "image: demo:v2")
	out, code = runCLI(ctx, t, env, "plan", "-f", file, "--evidence-dir", evDir, "-o", "json")
	outputs = append(outputs, out)
	p := planOf(t, out, code)
	// Applied by other means, the live template has no config digest:
	// kship's plan adds it, and says so.
	assertOnlyChange(t, p, "Deployment", []string{digestStamped, `spec.template.spec.containers[name=web].image: "demo:v1" → "demo:v2"`})
	assertRestarts(t, p, "Deployment "+ns+"/web restarts: kship stamps the digest of the config it reads into its pod template for the first time (kship.dev/config-digest)")

	applyByOtherMeans(ctx, t, env, file) // demo:v2 is live now
	replaceInFile(t, filepath.Join(filepath.Dir(file), "deploy", "config.yaml"), secret1, secret2)
	out, code = runCLI(ctx, t, env, "plan", "-f", file, "--evidence-dir", evDir, "-o", "json")
	outputs = append(outputs, out)
	p = planOf(t, out, code)
	// The Deployment reads the password through env: it restarts, and the
	// plan says because of which change (never with the value).
	assertOnlyChange(t, p, "Secret", []string{"data.password: (changed)", "data.user: (unchanged)"}, "Deployment")
	assertRestarts(t, p, "Deployment "+ns+"/web restarts: Secret "+ns+"/web-db changed (env DB_PASSWORD)")
	// The live Secret's password is owned by the other field manager: check
	// blocks on the conflict (deploy would stop mid-apply) and says how to
	// take the field over; with --force-conflicts nothing blocks.
	out, code = runCLI(ctx, t, env, "check", "-f", file, "--evidence-dir", evDir)
	outputs = append(outputs, out)
	if code != exitcode.Refused || !strings.Contains(out, "--force-conflicts") || !strings.Contains(out, "Secret "+ns+"/") {
		t.Errorf("kship check of a field owned by another manager: exit %d, want 2 naming the Secret and --force-conflicts:\n%s", code, out)
	}
	for _, args := range [][]string{{"plan"}, {"check", "--force-conflicts"}, {"check", "--force-conflicts", "-o", "json"}} {
		out, code = runCLI(ctx, t, env, append(args, "-f", file, "--evidence-dir", evDir)...)
		if code != exitcode.OK {
			t.Errorf("kship %v exit %d, want 0:\n%s", args, code, out)
		}
		outputs = append(outputs, out)
	}
	assertNoSecret(t, evDir, outputs, secret1, secret2)
}

// digestStamped stands for the diff that adds kship's config digest to a
// pod template that has none (its value depends on the data and, for
// Secrets, on the release's digest key).
const digestStamped = "spec.template.metadata.annotations: (none) → {kship.dev/config-digest}"

// assertOnlyChange checks that the plan's only update is of kind, with
// exactly the given field diffs, and every other object is unchanged but
// for restarted, kinds whose only change may be their config digest.
func assertOnlyChange(t *testing.T, p plan.Plan, kind string, diffs []string, restarted ...string) {
	t.Helper()
	for _, c := range p.Changes {
		var got []string
		for _, d := range c.Diff {
			if d.Path == "spec.template.metadata.annotations" && d.Op == plan.OpAdded && strings.HasPrefix(d.New, `{"kship.dev/config-digest":`) {
				got = append(got, digestStamped)
				continue
			}
			got = append(got, d.String())
		}
		if c.Ref.Kind != kind {
			if c.Action != plan.ActionUnchanged && !(slices.Contains(restarted, c.Ref.Kind) && strings.Join(got, "") == digestStamped) {
				t.Errorf("%s: %s %v, want unchanged", c.Ref, c.Action, c.Diff)
			}
			continue
		}
		if c.Action != plan.ActionUpdate || strings.Join(got, "\n") != strings.Join(diffs, "\n") {
			t.Errorf("%s: %s with diff\n%s\nwant update with\n%s", c.Ref, c.Action, strings.Join(got, "\n"), strings.Join(diffs, "\n"))
		}
	}
}

// assertRestarts checks the plan's restart lines.
func assertRestarts(t *testing.T, p plan.Plan, want ...string) {
	t.Helper()
	var got []string
	for _, r := range p.Restarts {
		got = append(got, r.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("restarts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// assertNoSecret greps every output and every file written for the
// Secret values, plain and base64-encoded.
func assertNoSecret(t *testing.T, evDir string, outputs []string, secrets ...string) {
	t.Helper()
	var forms []string
	for _, s := range secrets {
		forms = append(forms, s, base64.StdEncoding.EncodeToString([]byte(s)))
	}
	for i, out := range outputs {
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("output %d contains a Secret value", i)
			}
		}
	}
	files := 0
	err := filepath.WalkDir(evDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		for _, f := range forms {
			if bytes.Contains(data, []byte(f)) {
				t.Errorf("%s contains a Secret value", path)
			}
		}
		return err
	})
	if err != nil || files < 6 {
		t.Errorf("walked %d evidence files (%v), want at least 6", files, err)
	}
}

func planOf(t *testing.T, out string, code int) plan.Plan {
	t.Helper()
	var res struct {
		Plan plan.Plan `json:"plan"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitcode.OK {
		t.Fatalf("kship plan exit %d (%v), want 0:\n%s", code, err, out)
	}
	return res.Plan
}

// assertEvidenceFiles checks the files Prepare writes are there.
func assertEvidenceFiles(t *testing.T, dir string, checks bool) {
	t.Helper()
	names := []string{evidence.PlanMarkdownFile, evidence.PlanJSONFile}
	if checks {
		names = append(names, evidence.ChecklistMarkdownFile, evidence.ChecksJSONFile, evidence.ChecksSARIFFile, evidence.ChecksJUnitFile)
	}
	for _, n := range names {
		if st, err := os.Stat(filepath.Join(dir, n)); err != nil || st.Size() == 0 {
			t.Errorf("evidence file %s missing or empty (%v)", n, err)
		}
	}
}

// runCLI runs kship with args against the local cluster and returns its
// standard output and exit code.
func runCLI(ctx context.Context, t *testing.T, env *testenv.Env, args ...string) (string, int) {
	t.Helper()
	root := cli.NewCmdRoot(cli.NewFactory())
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(append(args, "--kubeconfig", env.Kubeconfig))
	err := root.ExecuteContext(ctx)
	if err != nil {
		t.Logf("kship %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String() + stderr.String(), cli.ExitCode(err)
}

func replaceInFile(t *testing.T, path, old, nw string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s: %q not found (%v)", path, old, err)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(data, []byte(old), []byte(nw)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// applyByOtherMeans applies the release's objects with server-side apply
// under another field manager, as kubectl or another tool would.
func applyByOtherMeans(ctx context.Context, t *testing.T, env *testenv.Env, file string) {
	t.Helper()
	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifest.Load(ctx, rel, c.Mapper)
	if err != nil {
		t.Fatal(err)
	}
	force := true
	for _, o := range manifest.SortForApply(objs) {
		gvk := o.GVK()
		m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(o.Obj.Object)
		_, err = c.Dynamic.Resource(m.Resource).Namespace(o.Obj.GetNamespace()).Patch(ctx, o.Obj.GetName(), types.ApplyPatchType, data,
			metav1.PatchOptions{FieldManager: "p3c-e2e", Force: &force})
		if err != nil {
			t.Fatalf("apply %s: %v", o.Ref(), err)
		}
	}
}

// createWidgetCRD creates a namespaced CRD Widget in group with a
// structural schema allowing only spec.size, waits until it is
// Established, and deletes it when the test ends.
func createWidgetCRD(ctx context.Context, t *testing.T, env *testenv.Env, group string) string {
	t.Helper()
	cs, err := apiext.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	name := "widgets." + group
	crd := &apiextv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: apiextv1.CustomResourceDefinitionSpec{
			Group: group, Scope: apiextv1.NamespaceScoped,
			Names: apiextv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList"},
			Versions: []apiextv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextv1.CustomResourceValidation{OpenAPIV3Schema: &apiextv1.JSONSchemaProps{Type: "object",
					Properties: map[string]apiextv1.JSONSchemaProps{"spec": {Type: "object",
						Properties: map[string]apiextv1.JSONSchemaProps{"size": {Type: "integer"}}}}}}}},
		},
	}
	if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cs.ApiextensionsV1().CustomResourceDefinitions().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete CRD %s: %v", name, err)
		}
	})
	w, err := cs.ApiextensionsV1().CustomResourceDefinitions().Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if c, ok := ev.Object.(*apiextv1.CustomResourceDefinition); ok && ev.Type != watch.Deleted {
			for _, cond := range c.Status.Conditions {
				if cond.Type == apiextv1.Established && cond.Status == apiextv1.ConditionTrue {
					return name
				}
			}
		}
	}
	t.Fatalf("CRD %s did not become Established", name)
	return ""
}

// snapshot describes the cluster state the check must not change: the
// test namespace's objects with their resourceVersions, whether the new
// namespace exists, the CRD and its custom resources.
func snapshot(ctx context.Context, t *testing.T, env *testenv.Env, ns, newNS, crd string) string {
	t.Helper()
	c, err := kube.NewForConfig(env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	_, err = c.Typed.CoreV1().Namespaces().Get(ctx, newNS, metav1.GetOptions{})
	lines = append(lines, "namespace "+newNS+" exists: "+boolString(err == nil))
	group := strings.TrimPrefix(crd, "widgets.")
	for _, r := range []schema.GroupVersionResource{
		{Version: "v1", Resource: "configmaps"}, {Version: "v1", Resource: "secrets"}, {Version: "v1", Resource: "services"},
		{Group: "apps", Version: "v1", Resource: "deployments"}, {Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
		{Group: group, Version: "v1", Resource: "widgets"},
	} {
		list, err := c.Dynamic.Resource(r).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range list.Items {
			lines = append(lines, r.Resource+"/"+it.GetName()+"@"+it.GetResourceVersion())
		}
	}
	crdObj, err := c.Dynamic.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}).
		Get(ctx, crd, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lines = append(lines, "crd@"+crdObj.GetResourceVersion())
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func boolString(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func describe(cs []validate.Check) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(string(c.Status) + " " + c.ID + " " + c.Source.String() + " " + c.Message + "\n")
	}
	return b.String()
}

// TestPlanPrunesFromHistory records a deployed revision holding one more
// ConfigMap than the release files, as a previous kship deploy would have:
// kship plan shows it pruned, flags the delete, and names the revision a
// rollback restores.
func TestPlanPrunesFromHistory(t *testing.T) {
	env := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, env, "p3c-prune-")
	file := release.CopyFixture(t, "acceptance-clean", map[string]string{"__NS__": ns, "__INGRESS__": env.Ingress, "__SECRET__": "pw-" + rand.String(10)})
	applyByOtherMeans(ctx, t, env, file)
	retired, err := manifest.Decode("deploy/retired.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: retired, namespace: "+ns+"}\ndata: {a: b}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Clientset(t).CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "retired"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	store := record.NewStore(env.Clientset(t), time.Now, "")
	rev := &record.Revision{Release: "acceptance-clean", Namespace: ns, Number: 4, Objects: retired, Outcome: record.OutcomeDeployed}
	if err := store.Save(ctx, rev); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(ctx, t, env, "plan", "-f", file, "--evidence-dir", t.TempDir(), "-o", "json")
	p := planOf(t, out, code)
	var pruned []string
	for _, c := range p.Changes {
		if c.Action == plan.ActionPrune {
			pruned = append(pruned, c.Ref.String())
		}
	}
	if strings.Join(pruned, ",") != "ConfigMap "+ns+"/retired" {
		t.Errorf("pruned %v, want only ConfigMap %s/retired", pruned, ns)
	}
	deletes := 0
	for _, r := range p.Risks {
		if r.Kind == plan.RiskDelete {
			deletes++
		}
	}
	if deletes != 1 || !strings.Contains(p.Criteria.RollbackRestores, "revision 4") {
		t.Errorf("%d delete risks, restores %q; want 1 and revision 4", deletes, p.Criteria.RollbackRestores)
	}
}
