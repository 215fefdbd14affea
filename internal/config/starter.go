package config

import (
	"bytes"
	"strconv"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// Starter is what `kship init` knows about a folder when it writes a
// commented starter release file.
type Starter struct {
	// Name is the release name (a DNS label).
	Name string
	// Namespace is the namespace to deploy into.
	Namespace string
	// NamespaceFrom says where the namespace was guessed from, if anywhere.
	NamespaceFrom string
	// Path is the source folder (plain or kustomization), relative to the
	// release file; empty for a chart.
	Path string
	// Kustomization is true when Path holds a kustomization.
	Kustomization bool
	// Chart is the Helm chart folder, relative to the release file.
	Chart string
	// Values are the chart's values files, relative to the release file.
	Values []string
	// SmokeURL is the guessed URL of an HTTP smoke check.
	SmokeURL string
	// SmokeFrom says what the smoke check was guessed from.
	SmokeFrom string
	// GateSelector is the PromQL label selector of the guessed gate, such
	// as `namespace="shop",app="web"`.
	GateSelector string
	// GateFrom says what the gate was guessed from.
	GateFrom string
	// SmokeService and SmokePath are the Service and path the smoke check
	// was guessed from ("" when none), for reaching it through an ingress.
	SmokeService, SmokePath string
	// SmokeHost is the Host header of the smoke check ("" for none): the
	// Service's name when the URL is an ingress address.
	SmokeHost string
	// SmokeOK says the guessed smoke check passed when kship init probed
	// it, so it is written enabled; SmokeWhy says what the probe found.
	SmokeOK  bool
	SmokeWhy string
	// PromAddress is the guessed Prometheus address (default
	// http://127.0.0.1:9090); PromOK and PromWhy as for the smoke check.
	PromAddress string
	PromOK      bool
	PromWhy     string
}

// DefaultPrometheus is the Prometheus address kship init guesses when the
// environment names none.
const DefaultPrometheus = "http://127.0.0.1:9090"

var starterTemplate = template.Must(template.New("kship.yaml").Funcs(template.FuncMap{"q": strconv.Quote, "s": plainOrQuoted, "c": commentUnless}).Parse(
	`# kship release file, written by kship init. Check it, then run kship check -f <this file>.
apiVersion: kship.dev/v1alpha1
kind: Release
metadata:
  # The release name (a DNS label); kship records revisions under it.
  name: {{s .Name}}
spec:
  # Namespaced objects without a namespace go here{{if .NamespaceFrom}} (guessed from {{.NamespaceFrom}}){{end}}.
  namespace: {{s .Namespace}}
  source:
{{- if .Chart}}
    # Rendered like helm template; no Helm release state is written.
    helm:
      chart: {{q .Chart}}
{{- if .Values}}
      values:
{{- range .Values}}
        - {{q .}}
{{- end}}
{{- else}}
      # values: [values-prod.yaml]
{{- end}}
      # set: {image.tag: "1.2.3"}
      # kubeVersion: "1.37"   # the Kubernetes version templates see; set your cluster's
{{- else}}
    # {{if .Kustomization}}A kustomization{{else}}A folder of YAML/JSON manifests, nested folders included{{end}}; or a Helm chart:
    path: {{q .Path}}
    # helm: {chart: ./chart, values: [values-prod.yaml]}
{{- end}}
  # Config changes roll: a Deployment, StatefulSet or DaemonSet restarts when a ConfigMap or Secret of
  # this source that it reads changes (kship stamps their digest into its pod template). A workload that
  # reloads its config itself opts out with the annotation kship.dev/restart-on-config-change: "false".
  mechanism: apply            # kship's server-side apply; or helm (a real Helm release) or gitops (a commit Flux applies)
  strategy:
    type: RollingUpdate       # or Canary, with canary: {steps: [{setWeight: 25}, {analysis: {duration: 30s}}, {setWeight: 50}]}
                              # (see docs/canary.md), or BlueGreen, with blueGreen: {scaleDownDelay: 30s} (docs/bluegreen.md)
  verify:
    rolloutTimeout: 5m        # how long every object may take to become ready
    # Without a smoke check or a metric gate kship cannot verify a release: deploy then ends with exit 5.
    # kship init writes a guessed check enabled only when it answered here (kship check probes it the same way).
{{- if .SmokeOK}}
    smoke:
      # Guessed from {{.SmokeFrom}}; probed by kship init: {{.SmokeWhy}}
{{- else}}
    # smoke:
    #   # Guessed from {{.SmokeFrom}}. Not enabled{{if .SmokeWhy}}: {{.SmokeWhy}}{{end}}.
    #   # Write a URL that answers from where kship runs (an Ingress host, a LoadBalancer, a NodePort,
    #   # or the ingress address with the Service's name as Host header), then uncomment.
{{- end}}
    {{c .SmokeOK}}  - name: health
    {{c .SmokeOK}}    http: {url: {{q .SmokeURL}}{{if .SmokeHost}}, headers: {Host: {{q .SmokeHost}}}{{end}}, expectStatus: 200}
    {{c .SmokeOK}}    retries: 3
    {{c .SmokeOK}}    backoff: 2s
{{- if .PromOK}}
    metrics:
      # Probed by kship init: {{.PromWhy}}
{{- else}}
    # metrics:
    #   # Not enabled{{if .PromWhy}}: {{.PromWhy}}{{end}}. Write the address of your Prometheus, then uncomment.
{{- end}}
    {{c .PromOK}}  prometheus: {address: {{q (or .PromAddress "http://127.0.0.1:9090")}}}
    {{c .PromOK}}  gates:
    {{c .PromOK}}    # Guessed from {{.GateFrom}}: the share of 5xx answers of the new revision's pods
    {{c .PromOK}}    # (pod_template_hash of this rollout, so the old version cannot dilute it) must stay under 1%.
    {{c .PromOK}}    - name: error-rate
    {{c .PromOK}}      query: 'sum(rate(http_requests_total{ {{- .GateSelector}},pod_template_hash=~"{{"{{"}}.PodTemplateHash{{"}}"}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{ {{- .GateSelector}},pod_template_hash=~"{{"{{"}}.PodTemplateHash{{"}}"}}"}[1m]))'
    {{c .PromOK}}      max: 0.01
    {{c .PromOK}}      noData: fail      # what an empty result means: fail, pass or inconclusive
  stabilize:
    window: 0s                # keep evaluating the gates this long after Verify (e.g. 10m); 0s: no window
    interval: 30s
  rollback:
    method: auto              # auto: roll back by itself on any failure; manual: stop and report
  # migrations:               # Jobs of the bundle, run to completion before the workloads change
  #   - {job: migrate-v2, type: reversible, down: migrate-v2-down}   # forward-only, reversible or destructive
`))

// Render writes the starter release file.
func (s Starter) Render() ([]byte, error) {
	var b bytes.Buffer
	if err := starterTemplate.Execute(&b, s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// commentUnless is the comment mark of a line written disabled.
func commentUnless(enabled bool) string {
	if enabled {
		return ""
	}
	return "# "
}

// plainOrQuoted writes s bare when YAML reads it back as the same string,
// quoted otherwise (a name such as 001 or true).
func plainOrQuoted(s string) string {
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err == nil {
		if str, ok := v.(string); ok && str == s {
			return s
		}
	}
	return strconv.Quote(s)
}
