package testenv

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DemoApp is one version of the demo application the end-to-end tests
// release: the Deployment "app" of the simulator's image app:<Version>
// (HTTP on port 8080, /healthz), the Service "app" in front of it and the
// ConfigMap app-config its pods read DEMO_VERSION from.
type DemoApp struct {
	Version string
	// Replicas is the Deployment's replicas (1 when 0).
	Replicas int
	// Behavior is the pods' sim.kship.dev/behavior label ("crashloop",
	// "imagepullbackoff", "unready"; "" for a healthy app).
	Behavior string
	// ErrorRate is DEMO_ERROR_RATE: the share of requests answered 500.
	ErrorRate string
	// HealthFail sets DEMO_HEALTH_FAIL: /healthz answers 500.
	HealthFail bool
	// Secret, when not "", is the TOKEN of the Secret app-secret, which
	// the pods read too.
	Secret string
	// Load labels the Service for the simulator's load generator
	// (sim.kship.dev/load), so Prometheus sees traffic on every pod.
	Load bool
	// Readiness gives the pods a readiness probe on /healthz.
	Readiness bool
	// ConfigMaps are more ConfigMaps of the version, each {owner: Version}.
	ConfigMaps []string
}

// Manifests is the version's objects as one YAML stream.
func (a DemoApp) Manifests() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata: {DEMO_VERSION: %s}\n", a.Version)
	if a.Secret != "" {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Secret\nmetadata: {name: app-secret}\nstringData: {TOKEN: %s}\n", a.Secret)
	}
	for _, name := range a.ConfigMaps {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {owner: %s}\n", name, a.Version)
	}
	labels := ""
	if a.Load {
		labels = "\n  labels: {sim.kship.dev/load: \"true\"}"
	}
	fmt.Fprintf(&b, `---
apiVersion: v1
kind: Service
metadata:
  name: app%s
spec:
  selector: {app: app}
  ports: [{name: http, port: 80, targetPort: http}]
`, labels)
	podLabels := ""
	if a.Behavior != "" {
		podLabels = "\n        sim.kship.dev/behavior: " + a.Behavior
	}
	envFrom := "\n            - configMapRef: {name: app-config}"
	if a.Secret != "" {
		envFrom += "\n            - secretRef: {name: app-secret}"
	}
	var env string
	if a.ErrorRate != "" {
		env += fmt.Sprintf("\n            - {name: DEMO_ERROR_RATE, value: %q}", a.ErrorRate)
	}
	if a.HealthFail {
		env += "\n            - {name: DEMO_HEALTH_FAIL, value: \"true\"}"
	}
	if env != "" {
		env = "\n          env:" + env
	}
	probe := ""
	if a.Readiness {
		probe = "\n          readinessProbe: {httpGet: {path: /healthz, port: http}}"
	}
	fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: %d
  selector: {matchLabels: {app: app}}
  template:
    metadata:
      labels:
        app: app%s
    spec:
      containers:
        - name: app
          image: app:%s
          ports: [{name: http, containerPort: 8080}]
          envFrom:%s%s%s
          resources: {requests: {cpu: 10m, memory: 16Mi}}
`, cmp.Or(a.Replicas, 1), podLabels, a.Version, envFrom, env, probe)
	return b.String()
}

// DemoRelease is the release file of the demo app: release "app" in
// Namespace, from Source, verified by the smoke check "health", a GET of
// /healthz through the environment's ingress with Host app.<Namespace>
// that wants 200.
type DemoRelease struct {
	Namespace string
	// Source is spec.source.path (./manifests when "").
	Source string
	// Spec are more lines of spec (mechanism, gitops, strategy), each
	// indented by two spaces and ending with a newline.
	Spec string
	// RolloutTimeout is verify.rolloutTimeout (2m when "").
	RolloutTimeout string
	// SmokeURL is the smoke check's URL (the ingress' /healthz when "").
	SmokeURL string
	// Retries, Backoff and Timeout are the smoke check's (3, 500ms, 2s
	// when zero).
	Retries          int
	Backoff, Timeout string
	// Verify are more lines of verify after the smoke check (metrics),
	// each starting with a newline and indented by four spaces.
	Verify string
	// Stabilize is spec.stabilize ({window: 0s} when "").
	Stabilize string
	// Rollback is spec.rollback.method ("" leaves it out).
	Rollback string
	// RestartThreshold is spec.detector.restartThreshold (0 leaves it out).
	RestartThreshold int
}

// YAML is the release file, its smoke check going through e's ingress.
func (r DemoRelease) YAML(e *Env) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: kship.dev/v1alpha1
kind: Release
metadata: {name: app}
spec:
  namespace: %s
  source: {path: %s}
%s  verify:
    rolloutTimeout: %s
    smoke:
      - name: health
        http: {url: %q, headers: {Host: app.%s}, expectStatus: 200}
        retries: %d
        backoff: %s
        timeout: %s%s
  stabilize: %s
`, r.Namespace, cmp.Or(r.Source, "./manifests"), r.Spec, cmp.Or(r.RolloutTimeout, "2m"), cmp.Or(r.SmokeURL, "http://"+e.Ingress+"/healthz"),
		r.Namespace, cmp.Or(r.Retries, 3), cmp.Or(r.Backoff, "500ms"), cmp.Or(r.Timeout, "2s"), r.Verify, cmp.Or(r.Stabilize, "{window: 0s}"))
	if r.Rollback != "" {
		fmt.Fprintf(&b, "  rollback: {method: %s}\n", r.Rollback)
	}
	if r.RestartThreshold > 0 {
		fmt.Fprintf(&b, "  detector: {restartThreshold: %d}\n", r.RestartThreshold)
	}
	return b.String()
}

// WriteDemo writes the release file r (dir/kship.yaml) and the app a
// (dir/manifests/app.yaml, or app.yaml in r.Source) and returns the
// release file's path.
func (e *Env) WriteDemo(t testing.TB, dir string, r DemoRelease, a DemoApp) string {
	t.Helper()
	manifests := filepath.Join(dir, cmp.Or(r.Source, "./manifests"))
	if err := os.MkdirAll(manifests, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "kship.yaml")
	for path, data := range map[string]string{file: r.YAML(e), filepath.Join(manifests, "app.yaml"): a.Manifests()} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return file
}
