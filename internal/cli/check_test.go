package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/exitcode"
)

// writeRelease writes a release file and one manifest into a temporary
// folder and returns the release file's path.
func writeRelease(t *testing.T, manifest string) string {
	t.Helper()
	dir := t.TempDir()
	rel := "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: web}\nspec:\n  namespace: shop\n  source: {path: ./deploy}\n" +
		"  verify:\n    smoke:\n      - name: health\n        http: {url: \"http://web.shop.example/healthz\"}\n"
	if err := os.MkdirAll(filepath.Join(dir, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kship.yaml"), []byte(rel), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deploy", "app.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "kship.yaml")
}

func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := NewCmdRoot(NewFactory())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		out.WriteString("error: " + err.Error())
	}
	return out.String(), ExitCode(err)
}

const goodDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: demo:v1
          resources: {requests: {cpu: 10m}}
          readinessProbe: {httpGet: {path: /, port: 80}}
`

func TestCheckOfflineExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		args     []string
		code     int
		want     string
	}{
		{"clean bundle", goodDeployment, nil, exitcode.OK, "nothing blocks"},
		{"unknown field blocks", strings.Replace(goodDeployment, "      containers:", "      contianers: []\n      containers:", 1), nil, exitcode.Refused, "✗ deploy/app.yaml:10: "},
		{"malformed YAML is bad input", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n", nil, exitcode.Input, "deploy/app.yaml:3"},
		{"bad kube version is bad input", goodDeployment, []string{"--kube-version", "latest"}, exitcode.Input, "--kube-version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeRelease(t, tt.manifest)
			args := append([]string{"check", "--offline", "-f", file, "--evidence-dir", t.TempDir()}, tt.args...)
			out, code := run(t, args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d; output does not contain %q?\n%s", code, tt.code, tt.want, out)
			}
		})
	}
}

func TestCheckOfflineJSON(t *testing.T) {
	out, code := run(t, "check", "--offline", "-o", "json", "-f", writeRelease(t, goodDeployment), "--evidence-dir", t.TempDir())
	var doc struct {
		Checks struct {
			Blocking bool           `json:"blocking"`
			Counts   map[string]int `json:"counts"`
		} `json:"checks"`
		EvidenceDir string `json:"evidenceDir"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitcode.OK {
		t.Fatalf("exit %d, JSON %v:\n%s", code, err, out)
	}
	if doc.Checks.Blocking || doc.Checks.Counts["pass"] == 0 || doc.EvidenceDir == "" {
		t.Errorf("JSON %+v", doc)
	}
	if _, err := os.Stat(filepath.Join(doc.EvidenceDir, "checks.sarif")); err != nil {
		t.Errorf("checks.sarif not written: %v", err)
	}
}

func TestPlanMissingFile(t *testing.T) {
	out, code := run(t, "plan", "-f", filepath.Join(t.TempDir(), "nope.yaml"), "--kubeconfig", filepath.Join(t.TempDir(), "none"))
	if code != exitcode.Input || !strings.Contains(out, "nope.yaml") {
		t.Errorf("exit %d, want 1 naming the file:\n%s", code, out)
	}
}
