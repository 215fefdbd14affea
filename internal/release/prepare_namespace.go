package release

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/validate"
)

// addNamespaceOverrideChecks warns, when -n moved the release from the
// namespace its file names (from) to another, about each smoke check URL or
// header and each gate query that still names from literally: it would
// check or measure the old namespace's service, not this release's. A
// template variable ({{.Namespace}}) follows -n and is not flagged.
func addNamespaceOverrideChecks(r *validate.Report, rel *config.Release, from, file string) {
	to := rel.Spec.Namespace
	if from == "" || from == to {
		return
	}
	names := regexp.MustCompile(`(^|[^A-Za-z0-9-])` + regexp.QuoteMeta(from) + `($|[^A-Za-z0-9-])`)
	warn := func(path, what, value string) {
		c := validate.Check{ID: validate.IDVerifyTarget, Title: "Verify targets", Status: validate.Warn,
			Message:  fmt.Sprintf("%s %q names namespace %s, but -n releases into %s: it would reach the old namespace's service, not this release's; what to do: write {{.Namespace}} in a gate query, or name %s", what, value, from, to, to),
			Evidence: fmt.Sprintf("-n %s overrides spec.namespace %s of the release file", to, from)}
		if file != "" {
			c.Source = manifest.Location{File: file, Line: rel.Line(path)}
		}
		r.Add(c)
	}
	for i, s := range rel.Spec.Verify.Smoke {
		if s.HTTP == nil {
			continue
		}
		if names.MatchString(s.HTTP.URL) {
			warn(fmt.Sprintf("spec.verify.smoke[%d].http.url", i), fmt.Sprintf("smoke check %q: url", s.Name), s.HTTP.URL)
		}
		keys := make([]string, 0, len(s.HTTP.Headers))
		for k := range s.HTTP.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if v := s.HTTP.Headers[k]; names.MatchString(v) {
				warn(fmt.Sprintf("spec.verify.smoke[%d].http.headers", i), fmt.Sprintf("smoke check %q: header %s", s.Name, k), v)
			}
		}
	}
	if m := rel.Spec.Verify.Metrics; m != nil {
		for i, g := range m.Gates {
			if names.MatchString(strings.ReplaceAll(g.Query, "{{.Namespace}}", "")) {
				warn(fmt.Sprintf("spec.verify.metrics.gates[%d].query", i), fmt.Sprintf("gate %s: query", g.Name), g.Query)
			}
		}
	}
}
