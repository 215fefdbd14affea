package config

import (
	"fmt"
	"time"
)

// Default is one value kship fills in when the release file leaves it out.
type Default struct {
	// Field is the path of the field, e.g. "spec.verify.rolloutTimeout".
	Field string `json:"field"`
	// Value is the value filled in, as it would be written in the file.
	Value string `json:"value"`
}

// Default values of the release file.
const (
	DefaultRolloutTimeout     = 5 * time.Minute
	DefaultStabilizeInterval  = 30 * time.Second
	DefaultRestartThreshold   = 2
	DefaultUnschedulableGrace = 15 * time.Second
	DefaultHTTPTimeout        = 5 * time.Second
	DefaultJobTimeout         = 2 * time.Minute
	DefaultSmokeBackoff       = time.Second
	DefaultHTTPMethod         = "GET"
	DefaultExpectStatus       = 200
	DefaultMinSamples         = 1
	// DefaultAnalysisInterval is how often a canary analysis evaluates
	// its gates.
	DefaultAnalysisInterval = 5 * time.Second
	// DefaultScaleDownDelay is how long a blue-green release keeps the
	// old color after the switch.
	DefaultScaleDownDelay = 30 * time.Second
	// DefaultKubeVersion is the newest Kubernetes minor version kship is
	// built against; Helm templates see it unless the release file says
	// otherwise (Helm's own library default is 1.20).
	DefaultKubeVersion = "1.37"
	// DefaultHelmMaxHistory is how many Helm revisions a release released
	// with spec.mechanism helm keeps.
	DefaultHelmMaxHistory = 10
)

// Defaults lists every default kship applies, in file order ("[]" stands
// for each item of a list).
var Defaults = []Default{
	{"spec.source.helm.releaseName", "metadata.name"},
	{"spec.source.helm.kubeVersion", DefaultKubeVersion},
	{"spec.source.helm.maxHistory", fmt.Sprint(DefaultHelmMaxHistory) + " (spec.mechanism helm)"},
	{"spec.mechanism", MechanismApply},
	{"spec.gitops.engine", GitOpsFlux},
	{"spec.gitops.branch", DefaultGitBranch},
	{"spec.gitops.kustomization.namespace", DefaultFluxNamespace},
	{"spec.gitops.application.namespace", DefaultArgoCDNamespace},
	{"spec.gitops.author", DefaultGitAuthorName + " <" + DefaultGitAuthorEmail + ">"},
	{"spec.strategy.type", StrategyRolling},
	{"spec.strategy.canary.steps[].analysis.interval", DefaultAnalysisInterval.String()},
	{"spec.strategy.blueGreen.scaleDownDelay", DefaultScaleDownDelay.String()},
	{"spec.strategy.blueGreen.autoPromote", "true (switch once the preview passed)"},
	{"spec.strategy.blueGreen.preSwitch", "{} (every gate, evaluated once) when the release has gates"},
	{"spec.strategy.blueGreen.postSwitch", "{} (every gate) when the release has gates"},
	{"spec.strategy.blueGreen.{preSwitch,postSwitch}.interval", DefaultAnalysisInterval.String()},
	{"spec.verify.rolloutTimeout", DefaultRolloutTimeout.String()},
	{"spec.verify.smoke[].http.method", DefaultHTTPMethod},
	{"spec.verify.smoke[].http.expectStatus", fmt.Sprint(DefaultExpectStatus)},
	{"spec.verify.smoke[].timeout", DefaultHTTPTimeout.String() + " (http), " + DefaultJobTimeout.String() + " (job)"},
	{"spec.verify.smoke[].backoff", DefaultSmokeBackoff.String()},
	{"spec.verify.metrics.gates[].noData", NoDataFail},
	{"spec.verify.metrics.gates[].minSamples", fmt.Sprint(DefaultMinSamples)},
	{"spec.stabilize.window", "0s (no monitoring window)"},
	{"spec.stabilize.interval", DefaultStabilizeInterval.String()},
	{"spec.rollback.method", RollbackAuto},
	{"spec.detector.restartThreshold", fmt.Sprint(DefaultRestartThreshold)},
	{"spec.detector.unschedulableGrace", DefaultUnschedulableGrace.String()},
}

// defaulter fills zero values and records what it filled.
type defaulter struct{ filled []Default }

func (d *defaulter) str(field string, v *string, def string) {
	if *v == "" {
		*v = def
		d.filled = append(d.filled, Default{field, def})
	}
}

func (d *defaulter) int(field string, v *int, def int) {
	if *v == 0 {
		*v = def
		d.filled = append(d.filled, Default{field, fmt.Sprint(def)})
	}
}

func (d *defaulter) dur(field string, v *Duration, def time.Duration) {
	if v.Duration == 0 {
		v.Duration = def
		d.filled = append(d.filled, Default{field, def.String()})
	}
}

// applyDefaults fills the defaults into r and returns what it filled.
func applyDefaults(r *Release) []Default {
	d := &defaulter{}
	s := &r.Spec
	if s.Source.Helm != nil {
		d.str("spec.source.helm.releaseName", &s.Source.Helm.ReleaseName, r.Metadata.Name)
		d.str("spec.source.helm.kubeVersion", &s.Source.Helm.KubeVersion, DefaultKubeVersion)
		if s.Mechanism == MechanismHelm {
			d.int("spec.source.helm.maxHistory", &s.Source.Helm.MaxHistory, DefaultHelmMaxHistory)
		}
	}
	d.str("spec.mechanism", &s.Mechanism, MechanismApply)
	gitopsDefaults(d, s.GitOps)
	d.str("spec.strategy.type", &s.Strategy.Type, StrategyRolling)
	if c := s.Strategy.Canary; c != nil {
		for i := range c.Steps {
			if a := c.Steps[i].Analysis; a != nil {
				d.dur(fmt.Sprintf("spec.strategy.canary.steps[%d].analysis.interval", i), &a.Interval, DefaultAnalysisInterval)
			}
		}
	}
	if s.Strategy.Type == StrategyBlueGreen {
		blueGreenDefaults(d, s)
	}
	d.dur("spec.verify.rolloutTimeout", &s.Verify.RolloutTimeout, DefaultRolloutTimeout)
	for i := range s.Verify.Smoke {
		smokeDefaults(d, fmt.Sprintf("spec.verify.smoke[%d]", i), &s.Verify.Smoke[i])
	}
	if m := s.Verify.Metrics; m != nil {
		for i := range m.Gates {
			p := fmt.Sprintf("spec.verify.metrics.gates[%d]", i)
			d.str(p+".noData", &m.Gates[i].NoData, NoDataFail)
			d.int(p+".minSamples", &m.Gates[i].MinSamples, DefaultMinSamples)
		}
	}
	if s.Stabilize.Window.Duration == 0 {
		d.filled = append(d.filled, Default{"spec.stabilize.window", "0s (no monitoring window)"})
	}
	d.dur("spec.stabilize.interval", &s.Stabilize.Interval, DefaultStabilizeInterval)
	d.str("spec.rollback.method", &s.Rollback.Method, RollbackAuto)
	if s.Detector.RestartThreshold == 0 {
		s.Detector.RestartThreshold = DefaultRestartThreshold
		d.filled = append(d.filled, Default{"spec.detector.restartThreshold", fmt.Sprint(DefaultRestartThreshold)})
	}
	d.dur("spec.detector.unschedulableGrace", &s.Detector.UnschedulableGrace, DefaultUnschedulableGrace)
	return d.filled
}

func smokeDefaults(d *defaulter, p string, c *SmokeCheck) {
	timeout := DefaultHTTPTimeout
	if c.HTTP != nil {
		d.str(p+".http.method", &c.HTTP.Method, DefaultHTTPMethod)
		d.int(p+".http.expectStatus", &c.HTTP.ExpectStatus, DefaultExpectStatus)
	} else if c.Job != nil {
		timeout = DefaultJobTimeout
	}
	d.dur(p+".timeout", &c.Timeout, timeout)
	d.dur(p+".backoff", &c.Backoff, DefaultSmokeBackoff)
}

// blueGreenDefaults fills spec.strategy.blueGreen: its delay, and both
// analyses (every gate) when the release has gates.
func blueGreenDefaults(d *defaulter, s *Spec) {
	if s.Strategy.BlueGreen == nil {
		s.Strategy.BlueGreen = &BlueGreen{}
	}
	bg := s.Strategy.BlueGreen
	d.dur("spec.strategy.blueGreen.scaleDownDelay", &bg.ScaleDownDelay, DefaultScaleDownDelay)
	if s.Verify.Metrics == nil || len(s.Verify.Metrics.Gates) == 0 {
		return
	}
	for i, a := range []**CanaryAnalysis{&bg.PreSwitch, &bg.PostSwitch} {
		p := "spec.strategy.blueGreen." + [...]string{"preSwitch", "postSwitch"}[i]
		if *a == nil {
			*a = &CanaryAnalysis{}
			d.filled = append(d.filled, Default{p, "{} (every gate)"})
		}
		d.dur(p+".interval", &(*a).Interval, DefaultAnalysisInterval)
	}
}
