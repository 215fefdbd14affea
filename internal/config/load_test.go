package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const header = `apiVersion: kship.dev/v1alpha1
kind: Release
metadata:
  name: web
spec:
  namespace: shop
`

// parse parses a release file whose relative paths resolve in testdata.
func parse(t *testing.T, src string) (*Release, error) {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return Parse("kship.yaml", []byte(src), dir)
}

func TestLoadDefaults(t *testing.T) {
	rel, err := parse(t, header+`  source: {path: ./deploy}
  verify:
    smoke:
      - name: health
        http: {url: "http://web.shop.example/healthz"}
    metrics:
      prometheus: {address: "http://127.0.0.1:9090"}
      gates:
        - {name: errors, query: "vector(0)", max: 0.01}
`)
	if err != nil {
		t.Fatal(err)
	}
	s := rel.Spec
	checks := []struct {
		name      string
		got, want any
	}{
		{"strategy", s.Strategy.Type, StrategyRolling},
		{"rolloutTimeout", s.Verify.RolloutTimeout.Duration, 5 * time.Minute},
		{"rollback", s.Rollback.Method, RollbackAuto},
		{"noData", s.Verify.Metrics.Gates[0].NoData, NoDataFail},
		{"minSamples", s.Verify.Metrics.Gates[0].MinSamples, 1},
		{"interval", s.Stabilize.Interval.Duration, 30 * time.Second},
		{"window", s.Stabilize.Window.Duration, time.Duration(0)},
		{"restartThreshold", s.Detector.RestartThreshold, int32(2)},
		{"unschedulableGrace", s.Detector.UnschedulableGrace.Duration, 15 * time.Second},
		{"method", s.Verify.Smoke[0].HTTP.Method, "GET"},
		{"expectStatus", s.Verify.Smoke[0].HTTP.ExpectStatus, 200},
		{"smoke timeout", s.Verify.Smoke[0].Timeout.Duration, 5 * time.Second},
		{"max", *s.Verify.Metrics.Gates[0].Max, 0.01},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !filepath.IsAbs(rel.Dir) {
		t.Errorf("Dir %q is not absolute", rel.Dir)
	}
	found := false
	for _, d := range rel.Defaulted {
		if d.Field == "spec.verify.rolloutTimeout" && d.Value == "5m0s" {
			found = true
		}
	}
	if !found {
		t.Errorf("Defaulted does not list spec.verify.rolloutTimeout: %v", rel.Defaulted)
	}
}

// TestLoadBlueGreenDefaults: a BlueGreen release gets the 30 s delay, and
// both analyses over every gate when it has gates, each listed as a default.
func TestLoadBlueGreenDefaults(t *testing.T) {
	rel, err := parse(t, header+`  source: {path: ./deploy}
  strategy: {type: BlueGreen}
  verify:
    metrics:
      prometheus: {address: "http://p:9090"}
      gates:
        - {name: errors, query: 'sum(rate(x{pod_template_hash=~"{{.PodTemplateHash}}"}[10s]))', max: 1}
`)
	if err != nil {
		t.Fatal(err)
	}
	bg := rel.Spec.Strategy.BlueGreen
	if bg == nil || bg.ScaleDownDelay.Duration != 30*time.Second || bg.PreSwitch == nil || bg.PostSwitch == nil ||
		bg.PreSwitch.Interval.Duration != DefaultAnalysisInterval || bg.PreSwitch.Duration.Duration != 0 {
		t.Fatalf("blueGreen = %+v", bg)
	}
	listed := map[string]bool{}
	for _, d := range rel.Defaulted {
		listed[d.Field] = true
	}
	for _, f := range []string{"spec.strategy.blueGreen.scaleDownDelay", "spec.strategy.blueGreen.preSwitch", "spec.strategy.blueGreen.postSwitch.interval"} {
		if !listed[f] {
			t.Errorf("Defaulted does not list %s: %v", f, rel.Defaulted)
		}
	}
	rel, err = parse(t, header+"  source: {path: ./deploy}\n  strategy: {type: BlueGreen, blueGreen: {scaleDownDelay: 5s}}\n")
	if err != nil {
		t.Fatal(err)
	}
	if bg := rel.Spec.Strategy.BlueGreen; bg.ScaleDownDelay.Duration != 5*time.Second || bg.PreSwitch != nil || bg.PostSwitch != nil {
		t.Errorf("without gates: blueGreen = %+v, want the given delay and no analyses", bg)
	}
}

func TestLoadKeepsGivenValues(t *testing.T) {
	rel, err := parse(t, header+`  source:
    helm:
      chart: ./deploy
      set: {replicaCount: 3, image.tag: "1.2"}
  strategy:
    type: Canary
    canary: {steps: [{setWeight: 20}, {pause: {duration: 1m}}, {setWeight: 100}]}
  rollback: {method: manual}
  stabilize: {window: 10m, interval: 1m}
  migrations:
    - {job: migrate-v2, type: reversible, down: migrate-v2-down}
`)
	if err != nil {
		t.Fatal(err)
	}
	s := rel.Spec
	if s.Source.Helm.ReleaseName != "web" || s.Source.Helm.Set["replicaCount"] != "3" || s.Source.Helm.KubeVersion != DefaultKubeVersion {
		t.Errorf("helm = %+v", s.Source.Helm)
	}
	if s.Strategy.Canary.Steps[1].Pause.Duration.Duration != time.Minute || s.Rollback.Method != RollbackManual {
		t.Errorf("spec = %+v", s)
	}
	if s.Stabilize.Window.Duration != 10*time.Minute || s.Migrations[0].Down != "migrate-v2-down" {
		t.Errorf("spec = %+v", s)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // each a full "kship.yaml:LINE: ..." prefix or substring
	}{
		{"typo suggests the field", header + "  source: {path: ./deploy}\n  rollbak: {method: auto}\n",
			[]string{`kship.yaml:8: unknown field "rollbak" in spec; did you mean "rollback"?`}},
		{"unknown without a near name lists fields", header + "  source: {path: ./deploy}\n  frobnicate: true\n",
			[]string{`kship.yaml:8: unknown field "frobnicate" in spec; known fields are namespace, source,`}},
		{"misplaced field points to its place", "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  source: {path: ./deploy}\n",
			[]string{`kship.yaml:5: unknown field "namespace" in metadata; it belongs under spec`, `kship.yaml:6: spec.namespace: is required`}},
		{"prefix suggests the field", header + "  source: {path: ./deploy}\n  verify:\n    metrics:\n      prometheus: {address: \"http://p:9090\"}\n      gates: [{name: g, query: up, maximum: 1}]\n",
			// the missing threshold on the same line is not reported again
			[]string{`kship.yaml:11: unknown field "maximum" in spec.verify.metrics.gates[0]; did you mean "max"?`}},
		{"type shorthand", header + "  source: {path: ./deploy}\n  strategy: Canary\n",
			[]string{`kship.yaml:8: spec.strategy must be a mapping, not "Canary"; write strategy: {type: Canary}`}},
		{"secrets are not repeated", header + "  source: {path: ./deploy}\n  verify:\n    smoke:\n      - name: h\n        http:\n          url: \"ftp://user:s3cret@x/\"\n          headers: \"Bearer s3cret\"\n",
			[]string{`kship.yaml:12: spec.verify.smoke[0].http.url: "ftp://user:xxxxx@x/" must be an absolute http:// or https:// URL`,
				`kship.yaml:13: spec.verify.smoke[0].http.headers must be a mapping of names to values, not a single value`}},
		{"unknown top level", "apiVersoin: kship.dev/v1alpha1\n" + header[31:] + "  source: {path: ./deploy}\n",
			[]string{`kship.yaml:1: unknown field "apiVersoin" at the top level; did you mean "apiVersion"?`}},
		{"wrong type int for string", header + "  source: {path: 7}\n",
			[]string{`kship.yaml:7: spec.source.path must be a string, not the number 7; quote it: "7"`}},
		{"wrong type string for int", header + "  source: {path: ./deploy}\n  strategy: {type: Canary, canary: {steps: [{setWeight: ten}]}}\n",
			[]string{`kship.yaml:8: spec.strategy.canary.steps[0].setWeight must be a whole number, not "ten"`}},
		{"duration", header + "  source: {path: ./deploy}\n  verify: {rolloutTimeout: 5}\n",
			[]string{`kship.yaml:8: spec.verify.rolloutTimeout must be a duration with a unit, not the number 5; write 5s or 5m`}},
		{"bad duration text", header + "  source: {path: ./deploy}\n  verify: {rolloutTimeout: soon}\n",
			[]string{`kship.yaml:8: spec.verify.rolloutTimeout must be a duration such as "30s", "5m" or "1h30m", not "soon"`}},
		{"quoted number", header + "  source: {path: ./deploy}\n  verify:\n    smoke: [{name: h, http: {url: \"http://x/\", expectStatus: \"200\"}}]\n",
			[]string{`kship.yaml:9: spec.verify.smoke[0].http.expectStatus must be a whole number, not "200"; write the number without quotes`}},
		{"negative duration", header + "  source: {path: ./deploy}\n  stabilize: {window: -1m}\n",
			[]string{`kship.yaml:8: spec.stabilize.window must not be negative`}},
		{"list expected", header + "  source: {path: ./deploy}\n  verify:\n    smoke: {name: x}\n",
			[]string{`kship.yaml:9: spec.verify.smoke must be a list`}},
		{"mapping expected", header + "  source: ./deploy\n",
			[]string{`kship.yaml:7: spec.source must be a mapping with fields path, helm, limits, not "./deploy"`}},
		{"duplicate key", header + "  source: {path: ./deploy}\n  namespace: other\n",
			[]string{`kship.yaml:8: spec.namespace is set twice (first on line 6)`}},
		{"apiVersion and kind", "apiVersion: v1\nkind: Deployment\nmetadata: {name: web}\nspec: {namespace: shop, source: {path: ./deploy}}\n",
			[]string{`kship.yaml:1: apiVersion: must be kship.dev/v1alpha1, not "v1"`, `kship.yaml:2: kind: must be Release, not "Deployment"`}},
		{"name and namespace", "apiVersion: kship.dev/v1alpha1\nkind: Release\nmetadata: {name: Web_1}\nspec:\n  source: {path: ./deploy}\n",
			[]string{`kship.yaml:3: metadata.name: "Web_1" is not a valid name`, `kship.yaml:4: spec.namespace: is required`}},
		{"no source", header + "  strategy: {type: RollingUpdate}\n",
			[]string{`kship.yaml:5: spec.source: set one of path`}},
		{"both sources", header + "  source: {path: ./deploy, helm: {chart: ./deploy}}\n",
			[]string{`kship.yaml:7: spec.source: set only one of path or helm`}},
		{"missing path", header + "  source: {path: ./nowhere}\n",
			[]string{`kship.yaml:7: spec.source.path: ./nowhere does not exist`}},
		{"missing CRD source", header + "  source: {path: ./deploy}\n  check:\n    crds: [./crds, \"\"]\n",
			[]string{`kship.yaml:9: spec.check.crds[0]: ./crds does not exist`, `kship.yaml:9: spec.check.crds[1]: is empty`}},
		{"helm kube version", header + "  source: {helm: {chart: ./deploy, kubeVersion: latest}}\n",
			[]string{`kship.yaml:7: spec.source.helm.kubeVersion: "latest" is not a Kubernetes version; write it like 1.37 or v1.37.2`}},
		{"remote chart", header + "  source: {helm: {chart: oci://example.com/c}}\n",
			[]string{`kship.yaml:7: spec.source.helm.chart: "oci://example.com/c": kship renders local charts only`}},
		{"helm mechanism needs a chart", header + "  source: {path: ./deploy}\n  mechanism: helm\n",
			[]string{`kship.yaml:8: spec.mechanism: helm releases a Helm chart: set spec.source.helm {chart: ...}`}},
		{"helm mechanism runs hooks, not migrations", header + "  source: {helm: {chart: ./deploy, maxHistory: -1}}\n  mechanism: helm\n  migrations: [{job: m, type: forward-only}]\n",
			[]string{`spec.source.helm.maxHistory: must be at least 1`, `spec.migrations: are run by mechanism apply; with spec.mechanism helm, write them as Helm hooks`}},
		{"strategy type", header + "  source: {path: ./deploy}\n  strategy: {type: Rolling}\n",
			[]string{`kship.yaml:8: spec.strategy.type: must be RollingUpdate, Canary or BlueGreen, not "Rolling"`}},
		{"canary weights", header + "  source: {path: ./deploy}\n  strategy:\n    type: Canary\n    canary:\n      steps:\n        - setWeight: 50\n        - setWeight: 20\n        - setWeight: 120\n        - setWeight: 100\n        - analysis: {duration: 1s}\n",
			[]string{`kship.yaml:13: spec.strategy.canary.steps[1].setWeight: must be greater than the weight before (50)`,
				`kship.yaml:14: spec.strategy.canary.steps[2].setWeight: must be between 1 and 100`,
				`kship.yaml:15: spec.strategy.canary.steps[3].setWeight: 100 promotes the new version and must be the last step`,
				`kship.yaml:16: spec.strategy.canary.steps[4].analysis: needs gates`}},
		{"canary steps", header + "  source: {path: ./deploy}\n  strategy:\n    type: Canary\n    canary:\n      steps:\n        - pause: {duration: 10s}\n        - {setWeight: 10, pause: {duration: 1s}}\n        - setWeight: 20\n        - pause: {duration: -1s}\n        - analysis: {duration: 10s}\n",
			[]string{`kship.yaml:12: spec.strategy.canary.steps[0]: comes before the first setWeight`,
				`kship.yaml:13: spec.strategy.canary.steps[1]: set exactly one of setWeight, pause or analysis`,
				`kship.yaml:15: spec.strategy.canary.steps[3].pause.duration must not be negative (got -1s)`,
				`kship.yaml:16: spec.strategy.canary.steps[4].analysis: needs gates: define them under spec.verify.metrics.gates`}},
		{"canary maxAboveStable", header + "  source: {path: ./deploy}\n  strategy:\n    type: Canary\n    canary:\n      steps:\n        - setWeight: 20\n        - analysis: {duration: 10s, gates: [errors], maxAboveStable: {errors: 0.01, latency: 0.1}}\n        - analysis: {duration: 10s, maxAboveStable: {errors: -1}}\n  verify:\n    metrics:\n      prometheus: {address: \"http://p:9090\"}\n      gates:\n        - {name: errors, query: 'sum(rate(x{pod_template_hash=~\"{{.PodTemplateHash}}\"}[10s]))', max: 1}\n        - {name: latency, query: 'sum(rate(y{pod_template_hash=~\"{{.PodTemplateHash}}\"}[10s]))', max: 1}\n",
			[]string{`spec.strategy.canary.steps[1].analysis.maxAboveStable.latency: names no gate this analysis evaluates (errors)`,
				`spec.strategy.canary.steps[2].analysis.maxAboveStable.errors: must not be negative`}},
		{"canary analysis gates", header + "  source: {path: ./deploy}\n  strategy:\n    type: Canary\n    canary:\n      steps:\n        - setWeight: 20\n        - analysis: {gates: [errors, latency]}\n      trafficShare: sum(rate(x[10s]))\n  verify:\n    metrics:\n      prometheus: {address: \"http://p:9090\"}\n      gates:\n        - {name: errors, query: 'sum(rate(x{pod_template_hash=~\"{{.PodTemplateHash}}\"}[10s]))', max: 1}\n        - {name: all, query: 'sum(rate(x[10s]))', max: 1}\n",
			[]string{`kship.yaml:13: spec.strategy.canary.steps[1].analysis.duration: is required and must be positive`,
				`kship.yaml:13: spec.strategy.canary.steps[1].analysis.gates[1]: names no gate of spec.verify.metrics.gates (errors or all)`,
				`kship.yaml:14: spec.strategy.canary.trafficShare: is evaluated on the canary's pods, so it must select them: add pod_template_hash=~"{{.PodTemplateHash}}"`}},
		{"canary analysis all gates scoped", header + "  source: {path: ./deploy}\n  strategy:\n    type: Canary\n    canary:\n      steps:\n        - setWeight: 20\n        - analysis: {duration: 10s}\n  verify:\n    metrics:\n      prometheus: {address: \"http://p:9090\"}\n      gates:\n        - {name: all, query: 'sum(rate(x[10s]))', max: 1}\n",
			[]string{`kship.yaml:18: spec.verify.metrics.gates[0].query: is evaluated on the canary's pods`}},
		{"canary no steps", header + "  source: {path: ./deploy}\n  strategy: {type: Canary}\n",
			[]string{`kship.yaml:8: spec.strategy.canary.steps: Canary needs at least one step`}},
		{"bluegreen", header + "  source: {path: ./deploy}\n  strategy: {type: BlueGreen, canary: {steps: [{setWeight: 10}]}}\n",
			[]string{`kship.yaml:8: spec.strategy.canary: only applies to type Canary`}},
		{"bluegreen settings", header + "  source: {path: ./deploy}\n  strategy:\n    type: BlueGreen\n    blueGreen:\n      activeService: Web\n      scaleDownDelay: 0s\n      preSwitch: {gates: [nope]}\n      postSwitch: {duration: 5s}\n  verify:\n    metrics:\n      prometheus: {address: \"http://p:9090\"}\n      gates:\n        - {name: all, query: 'sum(rate(x[10s]))', max: 1}\n",
			[]string{`kship.yaml:11: spec.strategy.blueGreen.activeService: "Web" is not a valid name`,
				`kship.yaml:12: spec.strategy.blueGreen.scaleDownDelay: must be positive; leave it out for the default`,
				`kship.yaml:13: spec.strategy.blueGreen.preSwitch.gates[0]: names no gate of spec.verify.metrics.gates (all)`,
				`kship.yaml:14: spec.strategy.blueGreen.postSwitch.duration: is not set here`,
				`kship.yaml:19: spec.verify.metrics.gates[0].query: is evaluated on the new color's pods before and after the switch, so it must select them`}},
		{"bluegreen preview is not the active service", header + "  source: {path: ./deploy}\n  strategy: {type: BlueGreen, blueGreen: {activeService: web, previewService: web}}\n",
			[]string{`kship.yaml:8: spec.strategy.blueGreen.previewService: must differ from activeService`}},
		{"bluegreen only for BlueGreen", header + "  source: {path: ./deploy}\n  strategy: {type: RollingUpdate, blueGreen: {previewService: p}}\n",
			[]string{`kship.yaml:8: spec.strategy.blueGreen: only applies to type BlueGreen`}},
		{"smoke", header + "  source: {path: ./deploy}\n  verify:\n    smoke:\n      - http: {url: /healthz, expectStatus: 999}\n        job: {image: busybox}\n      - name: a\n      - name: a\n        job: {}\n",
			[]string{
				`kship.yaml:10: spec.verify.smoke[0].name: is required`,
				`kship.yaml:10: spec.verify.smoke[0]: set only one of http or job, not both`,
				`kship.yaml:12: spec.verify.smoke[1]: set one of http`,
				`kship.yaml:13: spec.verify.smoke[2].name: "a" is already the name of item 1`,
				`kship.yaml:14: spec.verify.smoke[2].job.image: is required`}},
		{"http check", header + "  source: {path: ./deploy}\n  verify:\n    smoke:\n      - name: h\n        http:\n          url: /healthz\n          method: FETCH\n          expectStatus: 999\n          bodyRegex: \"(\"\n",
			[]string{
				`kship.yaml:12: spec.verify.smoke[0].http.url: "/healthz" must be an absolute http:// or https:// URL`,
				`kship.yaml:13: spec.verify.smoke[0].http.method: must be one of GET`,
				`kship.yaml:14: spec.verify.smoke[0].http.expectStatus: must be an HTTP status code`,
				`kship.yaml:15: spec.verify.smoke[0].http.bodyRegex: is not a valid regular expression`}},
		{"gates", header + "  source: {path: ./deploy}\n  verify:\n    metrics:\n      gates:\n        - name: g\n        - query: up\n          min: 2\n          max: 1\n          noData: ignore\n          maxIncrease: -1\n",
			[]string{
				`kship.yaml:9: spec.verify.metrics.prometheus.address: is required`,
				`kship.yaml:11: spec.verify.metrics.gates[0].query: is required`,
				`kship.yaml:11: spec.verify.metrics.gates[0]: set at least one threshold: min, max or maxIncrease`,
				`kship.yaml:12: spec.verify.metrics.gates[1].name: is required`,
				`kship.yaml:13: spec.verify.metrics.gates[1].min: 2 is above max 1`,
				`kship.yaml:15: spec.verify.metrics.gates[1].noData: must be fail, pass or inconclusive, not "ignore"`,
				`kship.yaml:16: spec.verify.metrics.gates[1].maxIncrease: must not be negative`}},
		{"metrics without gates", header + "  source: {path: ./deploy}\n  verify:\n    metrics: {prometheus: {address: \"http://p:9090\"}}\n",
			[]string{`kship.yaml:9: spec.verify.metrics.gates: list at least one gate`}},
		{"allowNamespaces", header + "  source: {path: ./deploy}\n  allowNamespaces: [kube-system, Monitoring, kube-system]\n",
			[]string{`kship.yaml:8: spec.allowNamespaces[1]: "Monitoring" is not a valid name`,
				`kship.yaml:8: spec.allowNamespaces[2]: "kube-system" is listed twice; keep one`}},
		{"rollback method", header + "  source: {path: ./deploy}\n  rollback: {method: never}\n",
			[]string{`kship.yaml:8: spec.rollback.method: must be auto or manual, not "never"`}},
		{"migrations", header + "  source: {path: ./deploy}\n  migrations:\n    - {job: m1, type: reversible}\n    - {job: m2, type: forward-only, down: m2-down}\n    - {type: sideways}\n    - {job: m1, type: destructive}\n",
			[]string{
				`kship.yaml:9: spec.migrations[0].down: is required for a reversible migration`,
				`kship.yaml:10: spec.migrations[1].down: only applies to type reversible`,
				`kship.yaml:11: spec.migrations[2].job: is required`,
				`kship.yaml:11: spec.migrations[2].type: must be forward-only, reversible or destructive, not "sideways"`,
				`kship.yaml:12: spec.migrations[3].job: "m1" is already migration 0`}},
		{"explicit zero", header + "  source: {path: ./deploy}\n  verify: {rolloutTimeout: 0s}\n  stabilize: {interval: 0s}\n",
			[]string{`kship.yaml:8: spec.verify.rolloutTimeout: must be positive; leave it out for the default`,
				`kship.yaml:9: spec.stabilize.interval: must be positive; leave it out for the default`}},
		{"stabilize interval", header + "  source: {path: ./deploy}\n  stabilize: {window: 1m, interval: 2m}\n",
			[]string{`kship.yaml:8: spec.stabilize.interval: 2m0s is longer than the window 1m0s`}},
		{"syntax", header + "  source: {path: ./deploy\n  strategy: x\n",
			// the line the flow mapping left open starts on
			[]string{`kship.yaml:7: invalid YAML: did not find expected ',' or '}'`}},
		{"two documents", header + "  source: {path: ./deploy}\n---\nkind: Release\n",
			[]string{`kship.yaml:9: a release file holds one document`}},
		{"empty", "# nothing\n", []string{`kship.yaml: the release file is empty`}},
		{"not a mapping", "- a\n", []string{`kship.yaml:1: the release file must be a mapping`}},
		{"wrong type not also missing", header + "  source: {path: ./deploy}\n  rollback: {method: [auto]}\n",
			[]string{`kship.yaml:8: spec.rollback.method must be a string, not a list`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.src)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			var one *Error
			if !errors.As(err, &one) {
				t.Fatalf("error %T is not a *config.Error: %v", err, err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("got %d errors, want %d:\n%s", len(lines), len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%s", w, err)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error repeats a secret: %v", err)
			}
			withLine := regexp.MustCompile(`^kship\.yaml:\d+: `)
			for _, l := range lines {
				if !withLine.MatchString(l) && tt.name != "empty" {
					t.Errorf("error %q does not name file and line", l)
				}
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kship.yaml")
	if err := os.WriteFile(path, []byte(header+"  source: {path: deploy}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rel, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Dir != dir {
		t.Errorf("Dir = %q, want %q", rel.Dir, dir)
	}
	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml: cannot read the release file: no such file or directory") {
		t.Errorf("missing file: %v", err)
	}
}

func TestClosest(t *testing.T) {
	known := []string{"namespace", "source", "strategy", "verify", "stabilize", "rollback", "migrations", "detector"}
	for in, want := range map[string]string{"rollbak": "rollback", "Namespace": "namespace", "sorce": "source", "xyz": "", "migration": "migrations", "verfy": "verify", "sourceFolder": "source", "ns": ""} {
		got := closest(in, known)
		if got == "" {
			got = prefixMatch(in, known)
		}
		if got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}
