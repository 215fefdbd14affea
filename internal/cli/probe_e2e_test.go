package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	utilrand "k8s.io/apimachinery/pkg/util/rand"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/testenv"
)

// probeRelease writes a release of one ConfigMap into namespace ns whose
// verify section is verify, and returns the release file.
func probeRelease(t *testing.T, ns, verify string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"kship.yaml":         "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: web}\nspec:\n  namespace: " + ns + "\n  source: {path: ./deploy}\n  verify:\n    rolloutTimeout: 1m\n" + verify,
		"deploy/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {DEMO_MESSAGE: hello}\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "kship.yaml")
}

// TestCheckProbesVerifyTargets: against the real ingress and Prometheus
// of the local environment, kship check passes a smoke check that reaches
// the ingress by Host header and a gate whose Prometheus answers (the
// addresses from ${KSHIP_INGRESS} and ${KSHIP_PROMETHEUS}); an
// unreachable Prometheus, a smoke host that does not resolve and an unset
// variable are refused by check and by deploy (exit 2) before the first
// write: the namespace is not created. On the old code all three passed
// check, and deploy applied the release before finding out.
func TestCheckProbesVerifyTargets(t *testing.T) {
	env := testenv.Get(t)
	kc := []string{"--kubeconfig", env.Kubeconfig}
	t.Setenv("KSHIP_INGRESS", env.Ingress)
	t.Setenv("KSHIP_PROMETHEUS", env.Prometheus)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	smoke := func(url string) string {
		return "    smoke:\n      - {name: health, http: {url: \"" + url + "\", headers: {Host: web.probe}, expectStatus: 200}}\n"
	}
	gate := func(address string) string {
		return "    metrics:\n      prometheus: {address: \"" + address + "\"}\n      gates:\n        - name: error-rate\n" +
			"          query: 'sum(rate(http_requests_total{namespace=\"{{.Namespace}}\",pod_template_hash=~\"{{.PodTemplateHash}}\",code=~\"5..\"}[20s])) / sum(rate(http_requests_total{namespace=\"{{.Namespace}}\",pod_template_hash=~\"{{.PodTemplateHash}}\"}[20s]))'\n" +
			"          max: 0.01\n"
	}
	ns := "probe-ok-" + utilrand.String(6)
	file := probeRelease(t, ns, smoke("http://${KSHIP_INGRESS}/healthz")+gate("${KSHIP_PROMETHEUS}"))
	out, code := run(t, append([]string{"check", "-f", file, "--evidence-dir", filepath.Join(filepath.Dir(file), "evidence")}, kc...)...)
	for _, want := range []string{"answers for Host web.probe", "answers its query API; 1 gate query ran there; http_requests_total has series"} {
		if code != exitcode.OK || !strings.Contains(out, want) {
			t.Errorf("working addresses: exit %d, want 0 and %q in:\n%s", code, want, out)
		}
	}

	for _, tc := range []struct {
		name, verify, want string
	}{
		{"unreachable Prometheus", smoke("http://${KSHIP_INGRESS}/healthz") + gate("http://"+closed), "Prometheus at http://" + closed + " does not answer"},
		{"Prometheus path instead of its base URL", smoke("http://${KSHIP_INGRESS}/healthz") + gate("${KSHIP_PROMETHEUS}/graph"), "so the address is not a Prometheus query API"},
		{"smoke host that does not resolve", "    smoke:\n      - {name: health, http: {url: \"http://web.probe.invalid/healthz\"}}\n", "host web.probe.invalid does not resolve"},
		{"ingress that does not answer", smoke("http://" + closed + "/healthz"), "(Host web.probe) does not answer"},
		{"unset variable", smoke("http://${KSHIP_PROBE_UNSET}/healthz"), "environment variable KSHIP_PROBE_UNSET is not set"},
	} {
		ns := "probe-bad-" + utilrand.String(6)
		file := probeRelease(t, ns, tc.verify)
		for _, cmd := range []string{"check", "deploy"} {
			start := time.Now()
			out, code := run(t, append([]string{cmd, "-f", file, "--evidence-dir", filepath.Join(filepath.Dir(file), "evidence")}, kc...)...)
			if code != exitcode.Refused || !strings.Contains(out, tc.want) && cmd == "check" {
				t.Errorf("%s: kship %s exit %d (want 2) and %q in:\n%s", tc.name, cmd, code, tc.want, out)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("%s: kship %s took %s", tc.name, cmd, d)
			}
		}
		noNamespace(t, env, ns)
	}
}

// TestInitProbesItsGuesses: in the local environment (KSHIP_INGRESS and
// KSHIP_PROMETHEUS set, as .localcluster/env sets them), kship init
// writes the smoke check (through the ingress, Host <service>.<namespace>)
// and the error-rate gate scoped to the new revision enabled, because both
// answered, and kship check passes the file it wrote; with a Prometheus
// address that does not answer, the gate is written commented out with
// why, and the file still checks. On the old code both were always
// written commented out, with a guessed URL and address that do not work.
func TestInitProbesItsGuesses(t *testing.T) {
	env := testenv.Get(t)
	kc := []string{"--kubeconfig", env.Kubeconfig}
	t.Setenv("KSHIP_INGRESS", env.Ingress)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	for _, tc := range []struct {
		prometheus string
		gateOn     bool
		want       []string
	}{
		{env.Prometheus, true, []string{"\n    metrics:\n      # Probed by kship init: Prometheus at " + env.Prometheus + " answers its query API",
			`pod_template_hash=~"{{.PodTemplateHash}}",code=~"5.."`}},
		{closed, false, []string{"\n    # metrics:\n    #   # Not enabled: Prometheus at " + closed + " does not answer"}},
	} {
		t.Setenv("KSHIP_PROMETHEUS", tc.prometheus)
		ns := "probe-init-" + utilrand.String(6)
		root := t.TempDir()
		writeFiles(t, root, map[string]string{"shop/deploy/web.yaml": strings.ReplaceAll(initDeploy, ", namespace: payments}", "}")})
		file := filepath.Join(root, "shop", "kship.yaml")
		if out, code := run(t, "init", filepath.Join(root, "shop", "deploy"), "-n", ns); code != exitcode.OK {
			t.Fatalf("init: exit %d\n%s", code, out)
		}
		data, _ := os.ReadFile(file)
		want := append(tc.want, "\n    smoke:\n      # Guessed from Service web-svc through the ingress at ${KSHIP_INGRESS}; probed by kship init: smoke check \"health\": "+env.Ingress+" answers for Host web-svc."+ns,
			`http: {url: "http://${KSHIP_INGRESS}/ready", headers: {Host: "web-svc.`+ns+`"}, expectStatus: 200}`)
		for _, w := range want {
			if !strings.Contains(string(data), w) {
				t.Errorf("Prometheus %s: the starter lacks %q:\n%s", tc.prometheus, w, data)
			}
		}
		rel, err := config.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		if len(rel.Spec.Verify.Smoke) != 1 || (rel.Spec.Verify.Metrics != nil) != tc.gateOn {
			t.Errorf("Prometheus %s: enabled smoke %d, metrics %v", tc.prometheus, len(rel.Spec.Verify.Smoke), rel.Spec.Verify.Metrics)
		}
		out, code := run(t, append([]string{"check", "-f", file, "--evidence-dir", filepath.Join(root, "evidence")}, kc...)...)
		if code != exitcode.OK {
			t.Errorf("Prometheus %s: kship check of what init wrote: exit %d\n%s", tc.prometheus, code, out)
		}
	}
}
