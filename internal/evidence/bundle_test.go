package evidence

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/validate"
)

const secretValue = "hunter2-very-secret"

func secretObject() manifest.Object {
	return manifest.Object{Obj: &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "db", "namespace": "shop"},
		"data":       map[string]any{"password": base64.StdEncoding.EncodeToString([]byte(secretValue))},
		"stringData": map[string]any{"token": "tok-\"quoted\"-value", "short": "abc"},
	}}}
}

func TestRedactorMasksEveryForm(t *testing.T) {
	r := NewRedactor([]manifest.Object{secretObject()})
	cases := map[string]string{
		"decoded":      "password is " + secretValue,
		"base64":       "data " + base64.StdEncoding.EncodeToString([]byte(secretValue)),
		"json-escaped": `{"v":"tok-\"quoted\"-value"}`,
		"raw":          `tok-"quoted"-value`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out := r.String(in)
			if !strings.Contains(out, Mask) || strings.Contains(out, secretValue) || strings.Contains(out, "quoted") {
				t.Errorf("String(%q) = %q", in, out)
			}
			if b := string(r.Bytes([]byte(in))); b != out {
				t.Errorf("Bytes and String differ: %q vs %q", b, out)
			}
		})
	}
	if got := r.String("abc is a short value"); got != "abc is a short value" {
		t.Errorf("values shorter than %d are left alone, got %q", MinSecretLen, got)
	}
	var nilR *Redactor
	if nilR.String("x") != "x" {
		t.Error("a nil Redactor must pass text through")
	}
}

// testGate stands for a stage's gate payload (gate.Measurement), with a
// field a stage might fill with a Secret value by mistake.
type testGate struct {
	Reading event.GateReading `json:"reading"`
	Leak    string            `json:"leak,omitempty"`
}

func (testGate) EventType() event.Type            { return event.TypeGate }
func (g testGate) GateReading() event.GateReading { return g.Reading }

func sampleBundle() *Bundle {
	t0 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	v := 0.31
	ok := 0.01
	return &Bundle{
		Kind: KindDeploy, Outcome: event.Outcome{Release: "web", Namespace: "shop", Revision: 3, StartedAt: t0, FinishedAt: t0.Add(40 * time.Second),
			Verdict: event.RolledBack, ExitCode: 3, Summary: "revision 3 failed and was rolled back to revision 2",
			Trigger: "gate error-rate failed", Checked: []string{"smoke health (http): passed"}},
		Rollback: RollbackSteps{Command: "kship rollback web -n shop --to-revision 2", TargetRevision: 2,
			ShowManifests: "kubectl -n shop get secret kship.web.v2 -o jsonpath='{.data.manifests\\.yaml\\.gz}' | base64 -d | gunzip",
			Delete:        []manifest.Ref{{Kind: "ConfigMap", Namespace: "shop", Name: "added"}, {Group: "batch", Kind: "Job", Namespace: "shop", Name: "migrate-3"}},
			Recreate:      []manifest.Ref{{Kind: "Service", Namespace: "shop", Name: "legacy"}},
			DownJobs:      []string{"migrate-3-down"},
			OwnManifests:  "kubectl -n shop get secret kship.web.v3 -o jsonpath='{.data.manifests\\.yaml\\.gz}' | base64 -d | gunzip"},
		Events: []event.Event{
			{Time: t0, Stage: event.StageRollout, Type: event.TypeStageStarted, Message: "apply 5 objects"},
			{Time: t0.Add(5 * time.Second), Stage: event.StageRollout, Type: event.TypeStageFinished, Message: "ready"},
			{Time: t0.Add(6 * time.Second), Stage: event.StageVerify, Type: event.TypeGate, Message: "error-rate pass",
				Data: testGate{Reading: event.GateReading{Gate: "error-rate", Value: &ok, Threshold: "max 0.05", Verdict: "pass"}}},
			{Time: t0.Add(20 * time.Second), Stage: event.StageStabilize, Type: event.TypeGate, Message: "error-rate fail " + secretValue,
				Data: testGate{Reading: event.GateReading{Gate: "error-rate", Value: &v, Threshold: "max 0.05", Verdict: "fail"}, Leak: secretValue}},
			{Time: t0.Add(20 * time.Second), Stage: event.StageStabilize, Type: event.TypeDecision, Message: "rollback trigger: <gate>"},
		},
	}
}

func TestWriteBundleMasksSecretsAndIsSelfContained(t *testing.T) {
	dir := t.TempDir()
	digest, err := Write(dir, sampleBundle(), NewRedactor([]manifest.Object{secretObject()}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(digest, "sha256:") {
		t.Errorf("digest %q", digest)
	}
	for _, f := range []string{EvidenceFile, RollbackFile, ReportFile} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), secretValue) {
			t.Errorf("%s contains the Secret value", f)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	for _, external := range []string{"<script", "<link", "src=", "href=", "@import", "url("} {
		if strings.Contains(string(html), external) {
			t.Errorf("report.html refers to something outside itself: %q", external)
		}
	}
	for _, want := range []string{"<svg", "<polyline", "<circle", "stroke-dasharray", "Gate error-rate", "&lt;gate&gt;"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	b, err := Read(dir)
	if err != nil || len(b.Events) != 5 || b.Rollback.TargetRevision != 2 {
		t.Fatalf("Read: %v %+v", err, b)
	}
}

// TestRedactedEventKeepsItsPayloadType masks a Secret value inside a
// payload: the payload keeps its type (so a view still reads it), the
// value is masked, and the original event is left as it was.
func TestRedactedEventKeepsItsPayloadType(t *testing.T) {
	r := NewRedactor([]manifest.Object{secretObject()})
	v := 0.3
	in := event.Event{Type: event.TypeGate, Message: "error-rate " + secretValue, Object: "Secret shop/" + secretValue,
		Data: testGate{Reading: event.GateReading{Gate: "error-rate", Query: `up{token="` + secretValue + `"}`, Value: &v}, Leak: secretValue}}
	out := r.Event(in)
	g, ok := out.Data.(testGate)
	if !ok {
		t.Fatalf("payload is a %T after redaction, want testGate", out.Data)
	}
	if g.Leak != Mask || strings.Contains(g.Reading.Query, secretValue) || g.Reading.Gate != "error-rate" || *g.Reading.Value != v {
		t.Errorf("payload after redaction: %+v", g)
	}
	if strings.Contains(out.Message, secretValue) || strings.Contains(out.Object, secretValue) {
		t.Errorf("text after redaction: %q %q", out.Message, out.Object)
	}
	if in.Data.(testGate).Leak != secretValue {
		t.Error("redaction changed the original payload")
	}
	raw := event.Event{Type: event.TypeGate, Data: event.Raw(`{"leak":"` + secretValue + `"}`)}
	if b := r.Event(raw).Data.(event.Raw); strings.Contains(string(b), secretValue) {
		t.Errorf("a payload read back from JSON is not masked: %s", b)
	}
}

func TestRollbackMarkdownGolden(t *testing.T) {
	golden(t, "rollback.golden.md", []byte(RollbackMarkdown(sampleBundle())))
	first := sampleBundle()
	first.Rollback = RollbackSteps{Command: "kship rollback web -n shop", Delete: []manifest.Ref{{Kind: "Deployment", Group: "apps", Namespace: "shop", Name: "web"}}}
	golden(t, "rollback-first.golden.md", []byte(RollbackMarkdown(first)))
	origin := sampleBundle()
	origin.Rollback = RollbackSteps{Command: "kship rollback web -n shop", Origin: &event.Origin{Revision: 1, Name: "Helm revision 1", By: "installed by another client: Install complete"},
		OriginCommand: "helm rollback web 1 -n shop"}
	golden(t, "rollback-origin.golden.md", []byte(RollbackMarkdown(origin)))
}

func TestFolderName(t *testing.T) {
	got := Folder("/ev", "web", 7, time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)))
	if got != "/ev/web/7-20260102T020405Z" {
		t.Errorf("Folder = %q", got)
	}
}

// TestReadDrill reads back what Write wrote: a drill's kind, release and
// verdict, a deploy's kind without a drill, and a folder with no
// evidence.json as fs.ErrNotExist.
func TestReadDrill(t *testing.T) {
	drill, deploy := t.TempDir(), t.TempDir()
	b := sampleBundle()
	b.Kind, b.Drill = KindDrill, &Drill{Verdict: DrillFailed, FromRevision: 3, ToRevision: 2}
	if _, err := Write(drill, b, NewRedactor()); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(deploy, sampleBundle(), NewRedactor()); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadDrill(drill); err != nil || got != (validate.DrillRecord{Kind: KindDrill, Release: "web", Drilled: true, Verdict: DrillFailed}) {
		t.Errorf("drill: %+v, %v", got, err)
	}
	if got, err := ReadDrill(deploy); err != nil || got != (validate.DrillRecord{Kind: KindDeploy, Release: "web"}) {
		t.Errorf("deploy: %+v, %v", got, err)
	}
	if _, err := ReadDrill(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty folder: %v, want fs.ErrNotExist", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, EvidenceFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDrill(bad); err == nil || !strings.Contains(err.Error(), "is not valid JSON") {
		t.Errorf("bad JSON: %v", err)
	}
}
