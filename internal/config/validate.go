package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// validator checks the meaning of a decoded release file; every problem is
// reported at the line of the field it concerns.
type validator struct {
	c     *collector
	lines map[string]int
	dir   string
	// vars are the query template variables known at load.
	vars QueryVars
}

// line returns the line of path, or of its nearest parent written in the file.
func (v *validator) line(path string) int { return lineOfPath(v.lines, path) }

// lineOfPath returns the line of path in lines, or of its nearest parent.
func lineOfPath(lines map[string]int, path string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return lines[""]
}

func (v *validator) fail(path, format string, args ...any) {
	v.c.add(v.line(path), 0, "%s", path+": "+fmt.Sprintf(format, args...))
}

func (v *validator) release(r *Release) {
	if r.APIVersion != APIVersion {
		v.fail("apiVersion", "must be %s, not %q", APIVersion, r.APIVersion)
	}
	if r.Kind != Kind {
		v.fail("kind", "must be %s, not %q", Kind, r.Kind)
	}
	v.dnsLabel("metadata.name", r.Metadata.Name)
	v.dnsLabel("spec.namespace", r.Spec.Namespace)
	v.vars = QueryVars{Namespace: r.Spec.Namespace, Release: r.Metadata.Name}
	v.source(&r.Spec.Source)
	switch m := r.Spec.Mechanism; m {
	case MechanismApply, MechanismHelm, MechanismGitOps:
	default:
		v.fail("spec.mechanism", "must be %s, %s or %s, not %q", MechanismApply, MechanismHelm, MechanismGitOps, m)
	}
	if r.Spec.Mechanism == MechanismHelm {
		v.helmMechanism(&r.Spec)
	}
	if r.Spec.Mechanism == MechanismGitOps {
		v.gitopsMechanism(&r.Spec)
	} else if r.Spec.GitOps != nil {
		v.fail("spec.gitops", "is read only with spec.mechanism gitops (the mechanism is %s)", r.Spec.Mechanism)
	}
	v.strategy(&r.Spec.Strategy, &r.Spec.Verify)
	v.verify(&r.Spec.Verify)
	v.stabilize(&r.Spec.Stabilize)
	if m := r.Spec.Rollback.Method; m != RollbackAuto && m != RollbackManual {
		v.fail("spec.rollback.method", "must be %s or %s, not %q", RollbackAuto, RollbackManual, m)
	}
	v.migrations(r.Spec.Migrations)
	for i, p := range r.Spec.Check.CRDs {
		if p == "" {
			v.fail(fmt.Sprintf("spec.check.crds[%d]", i), "is empty: give a file or folder of CustomResourceDefinitions")
			continue
		}
		v.exists(fmt.Sprintf("spec.check.crds[%d]", i), p)
	}
	seen := map[string]bool{}
	for i, ns := range r.Spec.AllowNamespaces {
		p := fmt.Sprintf("spec.allowNamespaces[%d]", i)
		v.dnsLabel(p, ns)
		if seen[ns] {
			v.fail(p, "%q is listed twice; keep one", ns)
		}
		seen[ns] = true
	}
	if r.Spec.Detector.RestartThreshold < 1 {
		v.fail("spec.detector.restartThreshold", "must be at least 1")
	}
}

func (v *validator) dnsLabel(path, s string) {
	if s == "" {
		v.fail(path, "is required")
		return
	}
	if errs := validation.IsDNS1123Label(s); len(errs) > 0 {
		v.fail(path, "%q is not a valid name: %s", s, errs[0])
	}
}

func (v *validator) source(s *Source) {
	switch {
	case s.Path == "" && s.Helm == nil:
		v.fail("spec.source", "set one of path (a folder of manifests or a kustomization) or helm (a chart)")
	case s.Path != "" && s.Helm != nil:
		v.fail("spec.source", "set only one of path or helm, not both")
	case s.Path != "":
		v.exists("spec.source.path", s.Path)
	default:
		v.helm(s.Helm)
	}
}

func (v *validator) helm(h *Helm) {
	if h.Chart == "" {
		v.fail("spec.source.helm.chart", "is required: the folder (or .tgz) of a chart, relative to the release file")
		return
	}
	if strings.Contains(h.Chart, "://") {
		v.fail("spec.source.helm.chart", "%q: kship renders local charts only; fetch it first (helm pull --untar) and point chart at the folder", h.Chart)
		return
	}
	v.exists("spec.source.helm.chart", h.Chart)
	if !kubeVersion.MatchString(h.KubeVersion) {
		v.fail("spec.source.helm.kubeVersion", "%q is not a Kubernetes version; write it like 1.37 or v1.37.2", h.KubeVersion)
	}
	for i, f := range h.Values {
		v.exists(fmt.Sprintf("spec.source.helm.values[%d]", i), f)
	}
}

func (v *validator) exists(path, rel string) {
	p := rel
	if !filepath.IsAbs(p) {
		p = filepath.Join(v.dir, p)
	}
	if _, err := os.Stat(p); err != nil {
		v.fail(path, "%s does not exist (paths are relative to the release file's folder)", rel)
	}
}

func (v *validator) strategy(s *Strategy, vf *Verify) {
	switch s.Type {
	case StrategyRolling:
	case StrategyCanary:
		v.canary(s.Canary, vf)
	case StrategyBlueGreen:
		v.blueGreen(s.BlueGreen, vf)
	default:
		v.fail("spec.strategy.type", "must be %s, %s or %s, not %q", StrategyRolling, StrategyCanary, StrategyBlueGreen, s.Type)
	}
	if s.Type != StrategyCanary && s.Canary != nil {
		v.fail("spec.strategy.canary", "only applies to type Canary")
	}
	if s.Type != StrategyBlueGreen && s.BlueGreen != nil {
		v.fail("spec.strategy.blueGreen", "only applies to type BlueGreen")
	}
}

func (v *validator) verify(vf *Verify) {
	if vf.RolloutTimeout.Duration <= 0 {
		v.fail("spec.verify.rolloutTimeout", "must be positive")
	}
	names := map[string]int{}
	for i := range vf.Smoke {
		v.smoke(fmt.Sprintf("spec.verify.smoke[%d]", i), &vf.Smoke[i], names, i)
	}
	if vf.Metrics != nil {
		v.metrics(vf.Metrics)
	}
}

func (v *validator) smoke(p string, c *SmokeCheck, names map[string]int, i int) {
	v.uniqueName(p, c.Name, names, i)
	switch {
	case c.HTTP == nil && c.Job == nil:
		v.fail(p, "set one of http (a request and its expected answer) or job (a pod run to completion)")
	case c.HTTP != nil && c.Job != nil:
		v.fail(p, "set only one of http or job, not both")
	case c.HTTP != nil:
		v.httpCheck(p+".http", c.HTTP)
	case c.Job.Image == "":
		v.fail(p+".job.image", "is required")
	}
	if c.Retries < 0 {
		v.fail(p+".retries", "must not be negative")
	}
}

func (v *validator) uniqueName(p, name string, names map[string]int, i int) {
	if name == "" {
		v.fail(p+".name", "is required")
		return
	}
	if j, dup := names[name]; dup {
		v.fail(p+".name", "%q is already the name of item %d; names must be unique", name, j)
		return
	}
	names[name] = i
}

var kubeVersion = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?$`)

var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

func (v *validator) httpCheck(p string, h *HTTPCheck) {
	v.httpURL(p+".url", h.URL)
	if !contains(httpMethods, h.Method) {
		v.fail(p+".method", "must be one of %s, not %q", strings.Join(httpMethods, ", "), h.Method)
	}
	if h.ExpectStatus < 100 || h.ExpectStatus > 599 {
		v.fail(p+".expectStatus", "must be an HTTP status code (100-599), not %d", h.ExpectStatus)
	}
	if h.BodyRegex != "" {
		if _, err := regexp.Compile(h.BodyRegex); err != nil {
			v.fail(p+".bodyRegex", "is not a valid regular expression: %v", err)
		}
	}
}

func (v *validator) httpURL(p, s string) {
	if s == "" {
		v.fail(p, "is required, e.g. http://web.shop.example/healthz")
		return
	}
	if namesEnv(s) {
		return // its shape is checked once expanded: kship check probes it (see ExpandEnv)
	}
	u, err := url.Parse(s)
	if err != nil {
		v.fail(p, "is not a valid URL: write it like http://web.shop.example/healthz")
		return
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.fail(p, "%q must be an absolute http:// or https:// URL", u.Redacted())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// helmMechanism checks what spec.mechanism helm needs: a chart to release,
// and no kship migrations (Helm runs a chart's migrations as its hooks).
func (v *validator) helmMechanism(s *Spec) {
	if s.Source.Helm == nil {
		v.fail("spec.mechanism", "helm releases a Helm chart: set spec.source.helm {chart: ...} (spec.source.path is applied by mechanism apply)")
	} else if s.Source.Helm.MaxHistory < 0 {
		v.fail("spec.source.helm.maxHistory", "must be at least 1 (the Helm revisions kept), not %d", s.Source.Helm.MaxHistory)
	}
	if len(s.Migrations) > 0 {
		v.fail("spec.migrations", "are run by mechanism apply; with spec.mechanism helm, write them as Helm hooks (a Job annotated helm.sh/hook: pre-upgrade), which Helm runs and kship reports")
	}
}
