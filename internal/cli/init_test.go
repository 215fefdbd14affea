package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
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
		`http_requests_total{namespace="payments",app_kubernetes_io_name="web",code=~"5.."}`,
		"guessed from deploy/ingress.yaml:1",
		"# Guessed from Ingress web.",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("starter lacks %q:\n%s", want, data)
		}
	}

	if _, err := runInit(t, o); err == nil || !strings.Contains(err.Error(), "already exists; use --force") || ExitCode(err) != ExitInput {
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

func TestReleaseName(t *testing.T) {
	for dir, want := range map[string]string{
		"/src/Payments_API/deploy": "payments-api",
		"/src/shop/k8s/overlays":   "shop",
		"/deploy":                  "app",
		"/src/web":                 "web",
		"/examples/demo/v1":        "demo",
	} {
		if got := releaseName(dir); got != want {
			t.Errorf("releaseName(%q) = %q, want %q", dir, got, want)
		}
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
