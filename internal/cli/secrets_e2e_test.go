package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/testenv"
)

// plantedValue is a distinctive value put somewhere kship reads it, named
// by where.
type plantedValue struct{ where, value string }

// leakForms returns every encoding v can take on its way to an output,
// each written by the library that would write it (independently of the
// Redactor's own Forms): plain; base64 standard and URL, padded and not,
// of v and of v with a newline; URL query, path and userinfo escaping,
// with upper- and lower-case hex; JSON string escaping, with and without
// HTML escaping, of v and of its query escaping; HTML escaping.
func leakForms(v string) map[string]string {
	forms := map[string]string{"plain": v}
	for _, raw := range []struct{ name, s string }{{"", v}, {" of v+newline", v + "\n"}} {
		forms["base64 std"+raw.name] = base64.StdEncoding.EncodeToString([]byte(raw.s))
		forms["base64 raw std"+raw.name] = base64.RawStdEncoding.EncodeToString([]byte(raw.s))
		forms["base64 url"+raw.name] = base64.URLEncoding.EncodeToString([]byte(raw.s))
		forms["base64 raw url"+raw.name] = base64.RawURLEncoding.EncodeToString([]byte(raw.s))
	}
	userinfo := strings.TrimPrefix(url.UserPassword("u", v).String(), "u:")
	for name, s := range map[string]string{"query escaped": url.QueryEscape(v), "path escaped": url.PathEscape(v), "userinfo escaped": userinfo} {
		forms[name] = s
		forms[name+" lower-case hex"] = lowerPercent(s)
	}
	jsonOf := func(s string, escapeHTML bool) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		_ = enc.Encode(s)
		out := strings.TrimSpace(b.String())
		return out[1 : len(out)-1]
	}
	forms["JSON escaped"] = jsonOf(v, true)
	forms["JSON escaped, no HTML escaping"] = jsonOf(v, false)
	forms["JSON escaped query escaping"] = jsonOf(url.QueryEscape(v), true)
	forms["HTML escaped"] = html.EscapeString(v)
	return forms
}

// leak is one form of a planted value found in one place.
type leak struct{ place, where, form string }

// findLeaks returns every form of every planted value in text.
func findLeaks(place string, text []byte, planted []plantedValue) []leak {
	var out []leak
	for _, p := range planted {
		for name, f := range leakForms(p.value) {
			if bytes.Contains(text, []byte(f)) {
				out = append(out, leak{place, p.where, name})
			}
		}
	}
	return out
}

// secretRelease writes the four versions of the planted-Secret release,
// each a release file and a folder of manifests, and returns the release
// files' paths and the values planted: v1 and v2 are good, v3's pods
// crash-loop, and v4's smoke check fails on a body that holds the Secret
// value the app reads from its env (DEMO_MESSAGE, which the demo app
// prints), so the value travels through the app into the smoke result,
// the trigger, the revision's stored message and kship status. Each
// version's Secret has its own values, so a value of an earlier revision
// reaching a later run's output is caught too.
func secretRelease(t *testing.T, env *testenv.Env, dir, ns string) (map[string]string, []plantedValue) {
	t.Helper()
	prom, err := url.Parse(env.Prometheus)
	if err != nil {
		t.Fatal(err)
	}
	query, bearer, apiKey, promPass := "Pl4nt-query/t0k+n=&x", "Pl4nt-bearer-7d2f0a", "Pl4nt-apikey-3b8a1c", "Pl4nt-prom/p@ss:w0rd"
	planted := []plantedValue{
		{"smoke URL query token", query}, {"smoke Authorization header", bearer},
		{"smoke X-Api-Key header", apiKey}, {"Prometheus address password", promPass},
	}
	promURL := (&url.URL{Scheme: prom.Scheme, User: url.UserPassword("kship", promPass), Host: prom.Host}).String()
	files := map[string]string{}
	paths := map[string]string{}
	for _, v := range []string{"v1", "v2", "v3", "v4"} {
		strData := `Pl4nt-strdata-` + v + `: x/y+z?&=<q>"'#%@\end`
		data := "Pl4nt-data-" + v + "/a+b=c&d%e"
		envValue := "Pl4nt-env-" + v + "-9c1e"
		planted = append(planted, plantedValue{v + " Secret stringData", strData}, plantedValue{v + " Secret data", data},
			plantedValue{v + " Secret value in a container's env", envValue})
		q, _ := json.Marshal(strData)
		behavior, smoke := "", "/healthz"
		switch v {
		case "v3":
			behavior = "\n        sim.kship.dev/behavior: crashloop"
		case "v4":
			smoke = "/"
		}
		files[v+"/config.yaml"] = fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, labels: {app: web}}
data: {DEMO_VERSION: %s}
---
apiVersion: v1
kind: Secret
metadata: {name: web-credentials, labels: {app: web}}
type: Opaque
stringData:
  API_TOKEN: %s
  SESSION_KEY: %s
data:
  DB_PASSWORD: %s
`, v, q, envValue, base64.StdEncoding.EncodeToString([]byte(data)))
		files[v+"/app.yaml"] = fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels:
        app: web%s
    spec:
      containers:
        - name: web
          image: demo:%s
          ports: [{name: http, containerPort: 8080}]
          envFrom: [{configMapRef: {name: web-config}}, {secretRef: {name: web-credentials}}]
          env:
            - name: SESSION
              valueFrom: {secretKeyRef: {name: web-credentials, key: SESSION_KEY}}
            - name: DEMO_MESSAGE
              valueFrom: {secretKeyRef: {name: web-credentials, key: API_TOKEN}}
          readinessProbe: {httpGet: {path: /healthz, port: http}}
          resources: {requests: {cpu: 10m, memory: 32Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web, sim.kship.dev/load: "true"}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`, behavior, v)
		gate := fmt.Sprintf(`sum(rate(http_requests_total{namespace=%q,app="web",pod_template_hash=~"{{.PodTemplateHash}}",code=~"5.."}[15s])) / sum(rate(http_requests_total{namespace=%q,app="web",pod_template_hash=~"{{.PodTemplateHash}}"}[15s]))`, ns, ns)
		files["kship-"+v+".yaml"] = fmt.Sprintf(`apiVersion: kship.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  namespace: %s
  source: {path: ./%s}
  verify:
    rolloutTimeout: 2m
    smoke:
      - name: health
        http:
          url: %q
          headers: {Host: web.%s, Authorization: "Bearer %s", X-Api-Key: %q}
          expectStatus: 200%s
        retries: 5
        backoff: 1s
        timeout: 3s
    metrics:
      prometheus: {address: %q}
      gates:
        - name: error-rate
          query: %q
          max: 0.05
  stabilize: {window: 10s, interval: 5s}
  detector: {restartThreshold: 2}
`, ns, v, "http://"+env.Ingress+smoke+"?token="+url.QueryEscape(query), ns, bearer, apiKey, bodyCheck(v), promURL, gate)
		paths[v] = filepath.Join(dir, "kship-"+v+".yaml")
	}
	writeFiles(t, dir, files)
	return paths, planted
}

// bodyCheck is v4's smoke expectation, which the body never meets.
func bodyCheck(v string) string {
	if v != "v4" {
		return ""
	}
	return "\n          bodyContains: version=v9"
}

// kshipRun is one run of the kship binary, its stdout and stderr kept
// apart.
type kshipRun struct {
	args           []string
	stdout, stderr []byte
	code           int
}

// TestNoPlantedSecretInAnyOutput plants distinctive values in every place
// a release can hold one (a Secret's stringData and data, a Secret value
// in a container's env, a smoke URL's query token and its Authorization
// and X-Api-Key headers, the Prometheus address' password), runs the kship
// binary through check, plan (human and JSON), a good deploy, a second
// good deploy, a crash-looping deploy rolled back (-o json), status
// (human and JSON), history (human and JSON) and kship rollback, against
// the real cluster and Prometheus, and looks for every value in every
// encoding (plain, base64 standard and URL, padded or not, URL/percent,
// JSON, HTML escaped) in every file kship wrote (every evidence file:
// rollout-plan.md, plan.json, checks, evidence.json, report.html,
// rollback.md), every stdout and stderr, and every revision Secret's
// decoded record and stored objects other than the release's own Secret
// (and the release file kept for the rollback's verification, which holds
// the credentials it needs), and the objects kship applied or holds (the
// Lease). 0 occurrences.
func TestNoPlantedSecretInAnyOutput(t *testing.T) {
	env := testenv.Get(t)
	ns := testenv.Namespace(t, env, "cli-leak-")
	dir := t.TempDir()
	files, planted := secretRelease(t, env, dir, ns)
	bin := testenv.BuildKship(t, env.RepoRoot)
	evidenceDir := filepath.Join(dir, "evidence")
	var runs []kshipRun
	kship := func(want int, args ...string) kshipRun {
		t.Helper()
		args = append(args, "--kubeconfig", env.Kubeconfig, "--evidence-dir", evidenceDir)
		ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := kshipRun{args: args, stdout: stdout.Bytes(), stderr: stderr.Bytes(), code: cmd.ProcessState.ExitCode()}
		if err != nil && r.code < 0 {
			t.Fatalf("kship %s: %v", strings.Join(args, " "), err)
		}
		if r.code != want {
			t.Errorf("kship %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
		}
		runs = append(runs, r)
		return r
	}
	kship(exitcode.OK, "check", "-f", files["v1"])
	kship(exitcode.OK, "plan", "-f", files["v1"])
	kship(exitcode.OK, "plan", "-f", files["v1"], "-o", "json")
	kship(exitcode.OK, "deploy", "-f", files["v1"])
	kship(exitcode.OK, "check", "-f", files["v2"], "-o", "json")
	kship(exitcode.OK, "deploy", "-f", files["v2"])
	kship(exitcode.RolledBack, "deploy", "-f", files["v3"], "-o", "json")
	if r := kship(exitcode.RolledBack, "deploy", "-f", files["v4"]); !bytes.Contains(r.stdout, []byte("message="+evidence.Mask)) {
		t.Errorf("v4's smoke failure does not show the app's answer with its Secret value masked; the test meant to send the value through the trigger:\n%s", r.stdout)
	}
	for _, args := range [][]string{{"status", "web"}, {"status", "web", "-o", "json"}, {"history", "web"}, {"history", "web", "-o", "json"}} {
		kship(exitcode.OK, append(args, "-n", ns)...)
	}
	kship(exitcode.OK, "rollback", "web", "-n", ns)
	kship(exitcode.OK, "status", "web", "-n", ns, "-o", "json")

	var leaks []leak
	for _, r := range runs {
		cmd := "kship " + strings.Join(r.args[:slices.Index(r.args, "--kubeconfig")], " ")
		cmd = strings.ReplaceAll(cmd, dir+"/", "")
		leaks = append(leaks, findLeaks(cmd+" stdout", r.stdout, planted)...)
		leaks = append(leaks, findLeaks(cmd+" stderr", r.stderr, planted)...)
	}
	// Every file under the test's folder but the inputs it wrote: the
	// evidence bundles, and anything else kship might write next to them.
	written := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if first, _, _ := strings.Cut(rel, string(filepath.Separator)); strings.HasPrefix(rel, "kship-v") || files[first] != "" { // the inputs
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		written++
		leaks = append(leaks, findLeaks(rel, data, planted)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	leaks = append(leaks, clusterLeaks(t, env, ns, planted)...)

	if written < 20 {
		t.Errorf("kship wrote %d files under %s; want every run's evidence (at least 20): the grep would prove nothing", written, dir)
	}
	sort.Slice(leaks, func(i, j int) bool { return leaks[i].place+leaks[i].where < leaks[j].place+leaks[j].where })
	for _, l := range leaks {
		t.Errorf("%s holds the %s (%s)", l.place, l.where, l.form)
	}
	t.Logf("%d runs, %d files written, %d planted values in %d forms each looked for: %d found", len(runs), written, len(planted), len(leakForms("x")), len(leaks))
}

// clusterLeaks looks for the planted values in what kship stores in the
// cluster: each revision Secret's record (message, evidence path, who ran
// it, adopted objects) and its stored objects other than Secrets, and the
// objects kship applied or holds in the namespace other than Secrets (the
// Deployment, ConfigMap, Service, the Lease). It fails the test when the
// release's stored Secret does not hold the planted values, as then a
// clean grep proves nothing.
func clusterLeaks(t *testing.T, env *testenv.Env, ns string, planted []plantedValue) []leak {
	t.Helper()
	cs := env.Clientset(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	revs, err := (&record.Store{Typed: cs, Now: time.Now}).List(ctx, ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) < 5 {
		t.Errorf("%d revisions stored, want 5 (v1, v2, v3 and v4 rolled back, the rollback)", len(revs))
	}
	var out []leak
	storedSecret := false
	for _, rev := range revs {
		place := fmt.Sprintf("revision Secret %s", record.SecretName("web", rev.Number))
		kept := rev
		kept.Objects, kept.ReleaseFile, kept.ConfigKey = nil, nil, nil
		js, err := json.Marshal(kept)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, findLeaks(place+" record", js, planted)...)
		for _, o := range rev.Objects {
			data, err := yaml.Marshal(o.Obj.Object)
			if err != nil {
				t.Fatal(err)
			}
			if o.Obj.GetKind() == "Secret" {
				storedSecret = storedSecret || len(findLeaks("", data, planted)) > 0
				continue
			}
			out = append(out, findLeaks(place+" stored "+o.Obj.GetKind()+" "+o.Obj.GetName(), data, planted)...)
		}
		s, err := cs.CoreV1().Secrets(ns).Get(ctx, record.SecretName("web", rev.Number), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		meta, _ := json.Marshal(s.ObjectMeta)
		out = append(out, findLeaks(place+" metadata", meta, planted)...)
	}
	if !storedSecret {
		t.Error("no revision stores the release's Secret with a planted value: the test does not plant what it greps for")
	}
	lists := map[string]func() (any, error){
		"Deployments": func() (any, error) { return cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{}) },
		"ConfigMaps":  func() (any, error) { return cs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{}) },
		"Services":    func() (any, error) { return cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{}) },
		"Leases":      func() (any, error) { return cs.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{}) },
	}
	for kind, list := range lists {
		l, err := list()
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(l)
		out = append(out, findLeaks("live "+kind+" in "+ns, js, planted)...)
	}
	return out
}

// lowerPercent writes the hex digits of every %XX in lower case (%2f), as
// some encoders do.
func lowerPercent(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = bytes.ToLower(b[i+1 : i+2])[0], bytes.ToLower(b[i+2 : i+3])[0]
			i += 2
		}
	}
	return string(b)
}
