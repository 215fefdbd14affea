package validate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kship/kship/internal/manifest"
)

// benchApp writes the objects of one app: a Deployment referring to its
// ConfigMap, Secret and ServiceAccount keys, a Service, a PDB and a
// migration Job: 7 objects.
func benchApp(b *strings.Builder, i int) {
	fmt.Fprintf(b, `apiVersion: v1
kind: ConfigMap
metadata: {name: app%[1]d-config, labels: {app: app%[1]d}}
data: {MODE: fast, LEVEL: info, config.yaml: "a: 1\nb: 2\n"}
---
apiVersion: v1
kind: Secret
metadata: {name: app%[1]d-db}
type: Opaque
data: {user: YXBw, password: c2VjcmV0}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app%[1]d
  labels: {app: app%[1]d, tier: web}
  annotations: {team: shop}
spec:
  replicas: 3
  revisionHistoryLimit: 5
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%%, maxUnavailable: 0}}
  selector:
    matchLabels: {app: app%[1]d}
  template:
    metadata:
      labels: {app: app%[1]d, tier: web}
    spec:
      serviceAccountName: default
      terminationGracePeriodSeconds: 30
      containers:
      - name: web
        image: registry.example.com/shop/app%[1]d:1.2.%[1]d
        args: [--port=8080, --level=$(LEVEL)]
        ports: [{name: http, containerPort: 8080, protocol: TCP}]
        env:
        - {name: DB_USER, valueFrom: {secretKeyRef: {name: app%[1]d-db, key: user}}}
        - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: app%[1]d-db, key: password}}}
        - {name: MODE, valueFrom: {configMapKeyRef: {name: app%[1]d-config, key: MODE}}}
        - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
        envFrom: [{configMapRef: {name: app%[1]d-config}}]
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
        readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 5}
        livenessProbe: {httpGet: {path: /healthz, port: http}, initialDelaySeconds: 10}
        volumeMounts: [{name: config, mountPath: /etc/app, readOnly: true}]
      volumes:
      - name: config
        configMap: {name: app%[1]d-config, items: [{key: config.yaml, path: config.yaml}]}
---
apiVersion: v1
kind: Service
metadata: {name: app%[1]d}
spec:
  selector: {app: app%[1]d}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: app%[1]d}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: app%[1]d}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: app%[1]d-migrate}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: registry.example.com/shop/migrate:1.2.%[1]d
        env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: app%[1]d-db, key: password}}}]
        resources: {requests: {cpu: 50m}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app%[1]d}
---
`, i)
}

// benchBundle writes a bundle of at least n objects over several files
// and returns the files' contents by path.
func benchBundle(tb testing.TB, dir string, n int) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{}
	const appsPerFile = 10
	apps := (n + 6) / 7
	for f := 0; f*appsPerFile < apps; f++ {
		var b strings.Builder
		for i := f * appsPerFile; i < (f+1)*appsPerFile && i < apps; i++ {
			benchApp(&b, i)
		}
		path := filepath.Join(dir, fmt.Sprintf("apps-%03d.yaml", f))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
		files[path] = []byte(b.String())
	}
	return files
}

// decodeBundle decodes every file strictly, as the loader does.
func decodeBundle(tb testing.TB, files map[string][]byte) []manifest.Object {
	var objs []manifest.Object
	for path, data := range files {
		o, err := manifest.Decode(path, data)
		if err != nil {
			tb.Fatal(err)
		}
		objs = append(objs, o...)
	}
	for _, o := range objs {
		o.Obj.SetNamespace("shop")
	}
	return objs
}

// BenchmarkValidateOffline5000 validates a 5,000-object bundle offline:
// strict decode of the YAML files, strict schema of every object,
// references, API versions, hygiene, guardrails. Run with -cpu 1; it
// reports objects per second.
func BenchmarkValidateOffline5000(b *testing.B) {
	dir := b.TempDir()
	files := benchBundle(b, dir, 5000)
	rel := testRelease(dir)
	objs := decodeBundle(b, files)
	if len(objs) < 5000 {
		b.Fatalf("bundle has %d objects", len(objs))
	}
	// The bundle is clean but for the hygiene of nothing: check once.
	if r := Run(context.Background(), Input{Release: rel, Objects: objs}); r.Blocking() || r.Count(Warn) > 0 {
		b.Fatalf("benchmark bundle is not clean: %v", problems(r))
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		objs := decodeBundle(b, files)
		r := Run(context.Background(), Input{Release: rel, Objects: objs})
		if r.Blocking() {
			b.Fatal("blocking")
		}
	}
	reportRates(b, len(objs), cpuTime()-cpu0)
}

// reportRates reports objects per second of wall time (the target) and of
// process CPU time (what the machine's load does not distort).
func reportRates(b *testing.B, objects int, cpu time.Duration) {
	b.ReportMetric(float64(objects*b.N)/b.Elapsed().Seconds(), "objects/s")
	if cpu > 0 {
		b.ReportMetric(float64(objects*b.N)/cpu.Seconds(), "objects/cpu-s")
	}
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkValidateOffline5000Problems is the same bundle with a problem in
// every Deployment (unknown field, missing key, no readiness probe), so the
// cost of locating problems by line is measured too.
func BenchmarkValidateOffline5000Problems(b *testing.B) {
	dir := b.TempDir()
	files := benchBundle(b, dir, 5000)
	for path, data := range files {
		s := strings.ReplaceAll(string(data), "revisionHistoryLimit", "revisionHistoryLimitz")
		s = strings.ReplaceAll(s, "key: MODE}", "key: MODEZ}")
		s = strings.ReplaceAll(s, "readinessProbe", "startupProbe")
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			b.Fatal(err)
		}
		files[path] = []byte(s)
	}
	rel := testRelease(dir)
	objs := decodeBundle(b, files)
	if r := Run(context.Background(), Input{Release: rel, Objects: objs}); !r.Blocking() {
		b.Fatal("problems not found")
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		Run(context.Background(), Input{Release: rel, Objects: decodeBundle(b, files)})
	}
	reportRates(b, len(objs), cpuTime()-cpu0)
}

// BenchmarkValidateOffline5000RunOnly is BenchmarkValidateOffline5000
// without the decode: the cost of Run alone on already-decoded objects.
func BenchmarkValidateOffline5000RunOnly(b *testing.B) {
	dir := b.TempDir()
	files := benchBundle(b, dir, 5000)
	rel := testRelease(dir)
	objs := decodeBundle(b, files)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if r := Run(context.Background(), Input{Release: rel, Objects: objs}); r.Blocking() {
			b.Fatal("blocking")
		}
	}
	reportRates(b, len(objs), cpuTime()-cpu0)
}
