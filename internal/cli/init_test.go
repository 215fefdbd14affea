package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/manifest"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const initDeploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: payments}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: web}}
  template:
    metadata: {labels: {app.kubernetes.io/name: web}}
    spec:
      containers:
        - name: web
          image: web:1
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: payments}
spec: {selector: {app: other}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-svc, namespace: payments}
spec: {selector: {app.kubernetes.io/name: web}, ports: [{port: 80}]}
`

func runInit(t *testing.T, o *InitOptions) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	o.Out, o.ErrOut = &out, &errOut
	if o.Prober == nil {
		o.Offline = true // probing is TestInitProbesItsGuesses'
	}
	err := o.Run(context.Background())
	return out.String() + errOut.String(), err
}

func TestInitFolder(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"payments-api/deploy/web.yaml": initDeploy,
		"payments-api/deploy/ingress.yaml": `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: payments}
spec:
  rules:
    - host: pay.example.com
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web-svc, port: {number: 80}}}}]}
`})
	o := &InitOptions{Dir: filepath.Join(root, "payments-api", "deploy")}
	msg, err := runInit(t, o)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "payments-api", "kship.yaml")
	if !strings.Contains(msg, "wrote "+file) {
		t.Errorf("output %q", msg)
	}
	rel, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Metadata.Name != "payments-api" || rel.Spec.Namespace != "payments" || rel.Spec.Source.Path != "./deploy" || rel.Spec.Rollback.Method != "auto" {
		t.Errorf("release = %+v", rel)
	}
	data, _ := os.ReadFile(file)
	for _, want := range []string{
		`http: {url: "http://pay.example.com/ready", expectStatus: 200}`,
		`http_requests_total{namespace="{{.Namespace}}",app_kubernetes_io_name="web",pod_template_hash=~"{{.PodTemplateHash}}",code=~"5.."}`,
		"Not enabled: not probed (kship init --offline)",
		"guessed from deploy/ingress.yaml:1",
		"# Guessed from Ingress web.",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("starter lacks %q:\n%s", want, data)
		}
	}

	if _, err := runInit(t, o); err == nil || !strings.Contains(err.Error(), "already exists; use --force") || ExitCode(err) != exitcode.Input {
		t.Errorf("second init: %v", err)
	}
	o.Force = true
	if _, err := runInit(t, o); err != nil {
		t.Errorf("init --force: %v", err)
	}
}

func TestInitChartAndKustomization(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"chart/Chart.yaml":         "apiVersion: v2\nname: shopfront\nversion: 0.1.0\n",
		"chart/templates/web.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: {{ .Release.Name }}}\nspec: {ports: [{port: 80}]}\n",
		"kust/kustomization.yaml":  "namespace: store\nresources: [web.yaml]\n",
		"kust/web.yaml":            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n",
	})
	tests := []struct {
		dir, file string
		check     func(*config.Release) bool
	}{
		{"chart", "chart.yaml", func(r *config.Release) bool {
			return r.Metadata.Name == "shopfront" && r.Spec.Source.Helm != nil && r.Spec.Source.Helm.Chart == "./chart" && r.Spec.Namespace == "default"
		}},
		{"kust", "kust.yaml", func(r *config.Release) bool {
			return r.Metadata.Name == "kust" && r.Spec.Source.Path == "./kust" && r.Spec.Namespace == "store"
		}},
	}
	for _, tt := range tests {
		o := &InitOptions{Dir: filepath.Join(root, tt.dir), File: filepath.Join(root, tt.file)}
		if msg, err := runInit(t, o); err != nil || strings.Contains(msg, "warning") {
			t.Fatalf("%s: %v %s", tt.dir, err, msg)
		}
		rel, err := config.Load(o.File)
		if err != nil {
			t.Fatal(err)
		}
		if !tt.check(rel) {
			t.Errorf("%s: release = %+v (source %+v)", tt.dir, rel, rel.Spec.Source)
		}
	}
}

func TestInitUnrenderableStillWrites(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"app/broken.yaml": "kind: [\n"})
	o := &InitOptions{Dir: filepath.Join(root, "app"), File: filepath.Join(root, "kship.yaml")}
	msg, err := runInit(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "warning: could not render") || !strings.Contains(msg, "app/broken.yaml:2: invalid YAML") {
		t.Errorf("output %q", msg)
	}
}

// TestInitWorkingFolder writes kship.yaml into the folder of manifests
// itself; loading the folder then skips the release file.
func TestInitWorkingFolder(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"web.yaml": initDeploy})
	t.Chdir(root)
	msg, err := runInit(t, &InitOptions{Dir: "."})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg, "wrote kship.yaml for folder . (3 objects, namespace payments)") {
		t.Errorf("output %q", msg)
	}
	rel, err := config.Load("kship.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifest.Load(context.Background(), rel, nil)
	if err != nil || len(objs) != 3 {
		t.Errorf("loading the folder: %v, %d objects", err, len(objs))
	}
}

// TestInitNamespaceFlag: kship init -n NS writes namespace NS (not the
// guessed one, not default) and uses it in the guessed smoke check and gate.
func TestInitNamespaceFlag(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"shop/deploy/web.yaml": initDeploy})
	file := filepath.Join(root, "shop", "kship.yaml")
	out, code := run(t, "init", "--offline", filepath.Join(root, "shop", "deploy"), "-n", "team-a")
	if code != exitcode.OK || !strings.Contains(out, "namespace team-a") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	rel, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	if rel.Spec.Namespace != "team-a" || strings.Contains(string(data), "payments") || strings.Contains(string(data), "guessed from deploy/web.yaml") {
		t.Errorf("namespace %q; starter:\n%s", rel.Spec.Namespace, data)
	}
	if !strings.Contains(string(data), `namespace="{{.Namespace}}",app_kubernetes_io_name="web"`) || !strings.Contains(string(data), "http://web-svc.team-a.example/ready") {
		t.Errorf("smoke check and gate do not use -n:\n%s", data)
	}
}

// TestInitRelativePaths: the source is written relative to the release
// file, "../deploy" beside it, never "./../".
func TestInitRelativePaths(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"app/deploy/web.yaml":        initDeploy,
		"app/chart/Chart.yaml":       "apiVersion: v2\nname: shopfront\nversion: 0.1.0\n",
		"app/chart/templates/s.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n",
	})
	tests := []struct{ dir, file, path, chart string }{
		{"app/deploy", "app/releases/kship.yaml", "../deploy", ""},
		{"app/deploy", "app/releases/prod/kship.yaml", "../../deploy", ""},
		{"app/deploy", "app/deploy/kship.yaml", ".", ""},
		{"app/deploy", "app/kship.yaml", "./deploy", ""},
		{"app/chart", "app/releases/chart.yaml", "", "../chart"},
	}
	for _, tt := range tests {
		file := filepath.Join(root, tt.file)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if msg, err := runInit(t, &InitOptions{Dir: filepath.Join(root, tt.dir), File: file, Force: true}); err != nil || strings.Contains(msg, "warning") {
			t.Fatalf("%s: %v %s", tt.file, err, msg)
		}
		rel, err := config.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		chart := ""
		if rel.Spec.Source.Helm != nil {
			chart = rel.Spec.Source.Helm.Chart
		}
		if rel.Spec.Source.Path != tt.path || chart != tt.chart {
			t.Errorf("%s: path %q chart %q, want %q %q", tt.file, rel.Spec.Source.Path, chart, tt.path, tt.chart)
		}
		objs, err := manifest.Load(context.Background(), rel, nil)
		if err != nil || len(objs) == 0 {
			t.Errorf("%s: the written release does not load its source: %v", tt.file, err)
		}
		os.Remove(file)
	}
}

// TestInitRefusesAnEmptyFolder: a folder without manifests is refused
// (exit 1) and no release file is written.
func TestInitRefusesAnEmptyFolder(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"empty":        nil,
		"no manifests": {"README.md": "# shop\n", ".git/config.yaml": "x: 1\n"},
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "deploy")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			writeFiles(t, dir, files)
			_, err := runInit(t, &InitOptions{Dir: dir})
			if err == nil || ExitCode(err) != exitcode.Input || !strings.Contains(err.Error(), "holds no manifests") {
				t.Fatalf("init of a folder without manifests: %v", err)
			}
			if _, err := os.Stat(filepath.Join(root, "kship.yaml")); err == nil {
				t.Error("a release file was written")
			}
		})
	}
	// The working folder holding only its own release file is empty too.
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"kship.yaml": "apiVersion: kship.dev/v1alpha1\n"})
	t.Chdir(root)
	if _, err := runInit(t, &InitOptions{Dir: ".", Force: true}); err == nil || !strings.Contains(err.Error(), "holds no manifests") {
		t.Errorf("init --force in a folder holding only kship.yaml: %v", err)
	}
}
