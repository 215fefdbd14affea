// Package config loads kship's release file (kship.yaml): what to ship, where,
// how to roll it out, how to verify it and how to roll it back.
package config

import "time"

// APIVersion and Kind identify a release file.
const (
	APIVersion = "kship.dev/v1alpha1"
	Kind       = "Release"
)

// Release is the parsed release file.
type Release struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`

	// Dir is the folder the release file was read from; relative paths in
	// the file are resolved against it. Not part of the file.
	Dir string `json:"-"`
	// Defaulted lists the values Load filled in because the file left them
	// out, so the plan can show them. Not part of the file.
	Defaulted []Default `json:"-"`
	// Raw is the release file as read, the bytes a revision records.
	Raw []byte `json:"-"`
	// lines are the line of each field path written in the file (Line).
	lines map[string]int
}

// Line returns the line of the field at path (as in
// spec.verify.smoke[0].http.url) in the release file, or of its nearest
// parent written there; 0 when the release was not read from a file.
func (r *Release) Line(path string) int { return lineOfPath(r.lines, path) }

// Metadata names the release.
type Metadata struct {
	Name string `json:"name"`
}

// Spec is what the release does.
type Spec struct {
	Namespace string `json:"namespace"`
	Source    Source `json:"source"`
	// Mechanism is how the objects reach the cluster: MechanismApply
	// (default), MechanismHelm or MechanismGitOps.
	Mechanism string `json:"mechanism,omitempty"`
	// GitOps is where spec.mechanism gitops commits and what applies it.
	GitOps     *GitOps     `json:"gitops,omitempty"`
	Strategy   Strategy    `json:"strategy"`
	Verify     Verify      `json:"verify"`
	Stabilize  Stabilize   `json:"stabilize"`
	Rollback   Rollback    `json:"rollback"`
	Migrations []Migration `json:"migrations,omitempty"`
	Detector   Detector    `json:"detector"`
	Check      Check       `json:"check,omitempty"`
	// AllowNamespaces are the namespaces other than Namespace the
	// release may put objects in: an object anywhere else (kube-system,
	// kube-public and kube-node-lease always, even when the bundle
	// creates them or the release lives there; another namespace unless
	// the bundle creates it with a Namespace object) is a blocking
	// guardrail finding of kship check.
	AllowNamespaces []string `json:"allowNamespaces,omitempty"`
}

// Check is what kship check (and the checks of plan and deploy) read
// beyond the bundle.
type Check struct {
	// CRDs are files or folders of CustomResourceDefinitions from outside
	// the bundle (for example the cluster's, exported once with
	// kubectl get crd NAME -o yaml), relative to the release file's folder:
	// the schemas of custom resources offline, or whose CRD the cluster
	// does not have yet. The bundle's and the cluster's CRDs come first.
	CRDs []string `json:"crds,omitempty"`
}

// Source is where the manifests come from: exactly one of Path or Helm.
// Paths are relative to the release file's folder.
type Source struct {
	// Path is a plain folder of YAML/JSON manifests (nested folders
	// included), a folder with a kustomization, or a single file.
	Path string `json:"path,omitempty"`
	Helm *Helm  `json:"helm,omitempty"`
	// Limits bound the size of what kship reads from the source.
	Limits *Limits `json:"limits,omitempty"`
}

// Helm is a chart with values. With spec.mechanism helm it is released as
// a real Helm release (Helm's history, hooks and rollback); otherwise it is
// only rendered, as `helm template` does (no Helm release state is written).
type Helm struct {
	// Chart is a local chart folder or .tgz archive.
	Chart string `json:"chart"`
	// Values are values files, merged in order over the chart's values.yaml.
	Values []string `json:"values,omitempty"`
	// Set are values in Helm --set syntax (keys may be dotted paths),
	// applied after the values files.
	Set map[string]string `json:"set,omitempty"`
	// ReleaseName is .Release.Name in templates (default: metadata.name).
	ReleaseName string `json:"releaseName,omitempty"`
	// KubeVersion is the Kubernetes version templates see as
	// .Capabilities.KubeVersion (default: DefaultKubeVersion); set it to
	// the target cluster's version when charts choose APIs by version.
	KubeVersion string `json:"kubeVersion,omitempty"`
	// MaxHistory bounds the Helm revisions kept with spec.mechanism helm
	// (default DefaultHelmMaxHistory, as helm upgrade --history-max).
	MaxHistory int `json:"maxHistory,omitempty"`
}

// Mechanisms: how a release's objects reach the cluster.
const (
	// MechanismApply is kship's own server-side apply.
	MechanismApply = "apply"
	// MechanismHelm installs or upgrades a Helm release.
	MechanismHelm = "helm"
	// MechanismGitOps commits the manifests for Flux to apply.
	MechanismGitOps = "gitops"
)

// Strategy types.
const (
	StrategyRolling   = "RollingUpdate"
	StrategyCanary    = "Canary"
	StrategyBlueGreen = "BlueGreen"
)

// Strategy is how workloads are rolled out.
type Strategy struct {
	Type string `json:"type"`
	// Canary holds the steps of type Canary.
	Canary *Canary `json:"canary,omitempty"`
	// BlueGreen holds the settings of type BlueGreen.
	BlueGreen *BlueGreen `json:"blueGreen,omitempty"`
}

// BlueGreen is a blue-green rollout: the new version runs beside the live
// one as its own color (a Deployment whose selector has kship.dev/color),
// is checked through a preview Service that selects only its pods, and then
// the active Service's selector switches to it; the old color is kept for
// ScaleDownDelay while the post-switch gates run, and a failure switches
// back. Its names follow Argo Rollouts' blueGreen.
type BlueGreen struct {
	// ActiveService is the Service live traffic goes through; empty means
	// the release's one Service that selects the Deployment's pods.
	ActiveService string `json:"activeService,omitempty"`
	// PreviewService is the Service kship adds that selects only the new
	// color's pods; empty means <activeService>-preview.
	PreviewService string `json:"previewService,omitempty"`
	// PreSwitch evaluates gates on the new color's pods (reached through
	// the preview) before the switch; a zero duration evaluates once,
	// when every gate's window holds only their data.
	PreSwitch *CanaryAnalysis `json:"preSwitch,omitempty"`
	// PostSwitch evaluates gates on the new color's pods every interval
	// while the old color is kept (ScaleDownDelay); it has no duration of
	// its own.
	PostSwitch *CanaryAnalysis `json:"postSwitch,omitempty"`
	// ScaleDownDelay is how long the old color keeps running after the
	// switch (the instant way back).
	ScaleDownDelay Duration `json:"scaleDownDelay,omitempty"`
	// AutoPromote false stops the release once the preview passed, before
	// the switch (exit 6, paused): kship promote switches, kship abort
	// removes the new color. Unset means true.
	AutoPromote *bool `json:"autoPromote,omitempty"`
}

// Promotes says whether the release switches by itself once the preview
// passed (autoPromote unset or true).
func (bg *BlueGreen) Promotes() bool { return bg == nil || bg.AutoPromote == nil || *bg.AutoPromote }

// Canary is a canary rollout: the new pod template runs in a second
// Deployment beside the stable one, weighted by ready pods, through steps
// in the order written; after the last step the stable Deployment is
// promoted to the new template. Its shape follows Argo Rollouts' steps.
type Canary struct {
	Steps []CanaryStep `json:"steps"`
	// TrafficShare, when set, is a PromQL query giving the share (0..1) of
	// requests the canary's pods answered ({{.PodTemplateHash}} is the
	// canary's); kship records it per step in the evidence.
	TrafficShare string `json:"trafficShare,omitempty"`

	// TrafficLookback is TrafficShare's lookback, computed by Load.
	TrafficLookback Lookback `json:"-"`
}

// CanaryStep is one step of a canary: exactly one of SetWeight, Pause or
// Analysis.
type CanaryStep struct {
	// SetWeight is the canary's share of ready pods, in percent (1..100);
	// 100 promotes the stable Deployment to the new template.
	SetWeight *int `json:"setWeight,omitempty"`
	// Pause holds the current weight for a duration; without one the run
	// ends paused (exit 6) until kship promote or kship abort.
	Pause *CanaryPause `json:"pause,omitempty"`
	// Analysis evaluates gates on the canary's pods only.
	Analysis *CanaryAnalysis `json:"analysis,omitempty"`
}

// CanaryPause holds the canary at its weight for Duration, or, when it is
// zero, until a human runs kship promote or kship abort.
type CanaryPause struct {
	Duration Duration `json:"duration,omitzero"`
}

// CanaryAnalysis evaluates gates of spec.verify.metrics on the canary's
// pods (their queries scoped with {{.PodTemplateHash}}, which is the
// canary's here), every Interval for Duration, once their window holds
// only data the canary's pods produced at this weight. A failed gate
// aborts the canary; so does a gate that never passed.
type CanaryAnalysis struct {
	// Gates names the gates to evaluate; empty means all.
	Gates    []string `json:"gates,omitempty"`
	Duration Duration `json:"duration"`
	Interval Duration `json:"interval,omitempty"`
	// MaxAboveStable compares the canary with stable (canary analyses
	// only): by gate name, how far the gate's value on the canary's pods
	// may be above its value on stable's pods, the same query at the same
	// time over the same window ({{.PodTemplateHash}} expanded to each
	// side's hash); {error-rate: 0.01} is "canary error rate <= stable's
	// + 1 point". It adds to the gate's own thresholds.
	MaxAboveStable map[string]float64 `json:"maxAboveStable,omitempty"`
}

// Verify says what "verified" means for this release.
type Verify struct {
	RolloutTimeout Duration     `json:"rolloutTimeout"`
	Smoke          []SmokeCheck `json:"smoke,omitempty"`
	Metrics        *Metrics     `json:"metrics,omitempty"`
}

// SmokeCheck is one smoke check: exactly one of HTTP or Job.
type SmokeCheck struct {
	Name string     `json:"name"`
	HTTP *HTTPCheck `json:"http,omitempty"`
	Job  *JobCheck  `json:"job,omitempty"`
	// Retries is how many more tries follow a failed one (0: one try).
	Retries int `json:"retries,omitempty"`
	// Backoff is the first wait between tries; it doubles each retry.
	Backoff Duration `json:"backoff,omitempty"`
	// Timeout bounds each try (an HTTP request, or a Job run to completion).
	Timeout Duration `json:"timeout,omitempty"`
}

// HTTPCheck is an HTTP request and what its answer must be.
type HTTPCheck struct {
	URL          string            `json:"url"`
	Method       string            `json:"method,omitempty"`
	Headers      map[string]string `json:"headers,omitempty"`
	ExpectStatus int               `json:"expectStatus,omitempty"`
	BodyContains string            `json:"bodyContains,omitempty"`
	BodyRegex    string            `json:"bodyRegex,omitempty"`
}

// JobCheck runs a pod to completion in the release namespace.
type JobCheck struct {
	Image   string   `json:"image"`
	Command []string `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	// Labels are added to the check's pod template (for example the
	// simulated behaviour label in the local environment).
	Labels map[string]string `json:"labels,omitempty"`
}

// Metrics are the metric gates and where to query them.
type Metrics struct {
	Prometheus Prometheus `json:"prometheus"`
	Gates      []Gate     `json:"gates"`
}

// Prometheus is a Prometheus-compatible query API.
type Prometheus struct {
	Address string `json:"address"`
	// ScrapeInterval is how often the release's pods are scraped, for
	// when Prometheus' targets API does not show them (a query-only
	// service, targets discovered elsewhere). When both are known, kship
	// waits on the larger: a gate's verdict waits 2 scrapes after the
	// rollout plus the query's lookback.
	ScrapeInterval Duration `json:"scrapeInterval,omitempty"`
}

// NoData policies of a gate.
const (
	NoDataFail         = "fail"
	NoDataPass         = "pass"
	NoDataInconclusive = "inconclusive"
)

// Gate is one metric gate: an instant query and its thresholds.
type Gate struct {
	Name string `json:"name"`
	// Query is a PromQL instant query; it may use the template variables
	// {{.Namespace}}, {{.Release}}, {{.Revision}} and {{.PodTemplateHash}}
	// (see ExpandQuery).
	Query string   `json:"query"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
	// MaxIncrease is the largest allowed rise over the baseline measured
	// just before the rollout, as an absolute difference.
	MaxIncrease *float64 `json:"maxIncrease,omitempty"`
	// NoData says what an empty query result means: fail, pass or
	// inconclusive.
	NoData string `json:"noData,omitempty"`
	// MinSamples is how many evaluations with data the gate needs before
	// it can pass.
	MinSamples int `json:"minSamples,omitempty"`

	// Lookback is how far back of its evaluation time the query reads,
	// computed by Load from the parse tree. Not part of the file.
	Lookback Lookback `json:"-"`
}

// Stabilize is the monitoring window after Verify.
type Stabilize struct {
	Window   Duration `json:"window"`
	Interval Duration `json:"interval"`
}

// Rollback methods.
const (
	RollbackAuto   = "auto"
	RollbackManual = "manual"
)

// Rollback says how the release is rolled back.
type Rollback struct {
	Method string `json:"method"`
	// DrillEvidence points to the evidence folder of a rollback drill of
	// this release; a destructive migration requires it.
	DrillEvidence string `json:"drillEvidence,omitempty"`
}

// Migration kinds.
const (
	MigrationForwardOnly = "forward-only"
	MigrationReversible  = "reversible"
	MigrationDestructive = "destructive"
)

// Migration is a Job of the bundle run to completion before workloads change.
type Migration struct {
	// Job names a Job in the bundle (by metadata.name).
	Job  string `json:"job"`
	Type string `json:"type"`
	// Down names the Job (in the bundle) that reverses a reversible migration.
	Down string `json:"down,omitempty"`
}

// Detector tunes the failure detector.
type Detector struct {
	// RestartThreshold is the restart count at which a crash-looping
	// container aborts the release.
	RestartThreshold int32 `json:"restartThreshold,omitempty"`
	// UnschedulableGrace is how long a pod may stay unschedulable.
	UnschedulableGrace Duration `json:"unschedulableGrace,omitempty"`
}

// Duration is a time.Duration written as "30s" or "5m" in the file.
type Duration struct{ time.Duration }
