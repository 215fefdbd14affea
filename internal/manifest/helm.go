package manifest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	ci "helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	helmrelease "helm.sh/helm/v4/pkg/release/v1"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/input"
)

// renderHelm renders a local chart with Helm's SDK (Helm 4, the same
// module the helm mechanism releases with) the way `helm template` does:
// client-only dry-run install, nothing stored, no cluster contact. Values
// files are merged in order, then the set values (Helm --set syntax for
// keys, values typed as --set types them). CRDs of the chart's crds/
// folder are included. Hooks are not objects kship applies: with
// spec.mechanism helm, Helm runs them around its install, upgrade and
// rollback; with any other mechanism they are left out (applying pre-/post-
// install or test hooks as ordinary objects would run them at the wrong
// time). Either way they are listed in Rendered.Skipped with why, never
// dropped silently. NOTES.txt is not an object.
// Templates see .Capabilities.KubeVersion = spec.source.helm.kubeVersion
// (default config.DefaultKubeVersion) and the built-in API versions; API
// versions served only by the cluster's CRDs are not visible offline.
// Each object's source is the template it was rendered from
// (chart/templates/x.yaml, relative to the release file's folder); the line
// is unknown (0) because rendered lines do not match template lines.
func renderHelm(ctx context.Context, rel *config.Release, rd *input.Reader) (*Rendered, error) {
	h := rel.Spec.Source.Helm
	chartRel := relPath(rel.Dir, resolve(rel.Dir, h.Chart))
	chrt, vals, err := helmChart(rel, rd)
	if err != nil {
		return nil, err
	}
	kv, err := common.ParseKubeVersion(kubeVersionOr(h.KubeVersion))
	if err != nil {
		return nil, &Error{Source: Location{File: chartRel}, Msg: "spec.source.helm.kubeVersion: " + err.Error()}
	}
	inst := action.NewInstall(action.NewConfiguration(action.ConfigurationSetLogger(slog.NewTextHandler(io.Discard, nil))))
	inst.KubeVersion = kv
	inst.DryRunStrategy, inst.Replace, inst.IncludeCRDs = action.DryRunClient, true, true
	inst.ReleaseName, inst.Namespace = h.ReleaseName, rel.Spec.Namespace
	out, err := inst.RunWithContext(ctx, chrt, vals)
	if err != nil {
		return nil, &Error{Source: Location{File: chartRel}, Msg: fmt.Sprintf("helm template failed: %v", err)}
	}
	r, ok := out.(*helmrelease.Release)
	if !ok {
		return nil, &Error{Source: Location{File: chartRel}, Msg: fmt.Sprintf("helm template returned a %T, not a chart v2 release", out)}
	}
	objs, err := splitHelmManifest(r.Manifest, chartRel)
	if err != nil {
		return nil, err
	}
	return &Rendered{Objects: objs, Skipped: skippedHooks(r.Hooks, chartRel, rel.Spec.Namespace, rel.Spec.Mechanism == config.MechanismHelm)}, nil
}

// HelmChart loads the release's chart (spec.source.helm.chart) and merges
// its values files and set values, within the release's input limits, as
// kship renders them and as the helm mechanism releases them. The chart's
// dependencies must be in its charts/ folder, or be local charts named by
// a `file://` repository (see addLocalDependencies).
func HelmChart(rel *config.Release) (*chart.Chart, map[string]any, error) {
	return helmChart(rel, input.NewReader(rel.InputLimits()))
}

func helmChart(rel *config.Release, rd *input.Reader) (*chart.Chart, map[string]any, error) {
	h := rel.Spec.Source.Helm
	chartPath := resolve(rel.Dir, h.Chart)
	chartRel := relPath(rel.Dir, chartPath)
	fail := func(format string, args ...any) error {
		return &Error{Source: Location{File: chartRel}, Msg: fmt.Sprintf(format, args...)}
	}
	chrt, err := loadChart(rd, rel.Dir, chartPath)
	if err != nil {
		if me := (*Error)(nil); errors.As(err, &me) { // a file refused, named
			return nil, nil, err
		}
		return nil, nil, fail("cannot load the Helm chart: %v", err)
	}
	if err := addLocalDependencies(rd, rel.Dir, chartPath, chrt, 0); err != nil {
		return nil, nil, err
	}
	deps := make([]ci.Dependency, len(chrt.Metadata.Dependencies))
	for i, d := range chrt.Metadata.Dependencies {
		deps[i] = d
	}
	if err := action.CheckDependencies(chrt, deps); err != nil {
		return nil, nil, fail("%v (run `helm dependency build %s`)", err, chartRel)
	}
	vals, err := helmValues(rd, rel.Dir, h)
	if err != nil {
		if me := (*Error)(nil); errors.As(err, &me) {
			return nil, nil, err
		}
		return nil, nil, fail("%v", err)
	}
	return chrt, vals, nil
}

// skippedHooks names the chart's hooks and who runs them.
func skippedHooks(hooks []*helmrelease.Hook, chartRel, ns string, helmRuns bool) []Skipped {
	var out []Skipped
	for _, h := range hooks {
		events := make([]string, len(h.Events))
		for i, e := range h.Events {
			events[i] = string(e)
		}
		reason := fmt.Sprintf("Helm hook (%s) not applied: kship has no hook lifecycle; declare a migration Job under spec.migrations or a Job smoke check instead, or release the chart with spec.mechanism: helm", strings.Join(events, ", "))
		if helmRuns {
			reason = fmt.Sprintf("Helm hook (%s), run by Helm around its install, upgrade or rollback; reported in the evidence", strings.Join(events, ", "))
		}
		out = append(out, Skipped{
			Ref:    Ref{Kind: h.Kind, Namespace: ns, Name: h.Name},
			Source: Location{File: helmSourceFile(h.Path, chartRel)},
			Reason: reason,
		})
	}
	return out
}

// helmSourceFile maps Helm's "<chart name>/templates/x.yaml" to the
// template's path relative to the release file.
func helmSourceFile(src, chartRel string) string {
	if _, rest, ok := strings.Cut(src, "/"); ok {
		return chartRel + "/" + rest
	}
	return chartRel
}

// kubeVersionOr returns v, or kship's default, as a full version (1.37 →
// 1.37.0) so templates comparing versions see a patch number.
func kubeVersionOr(v string) string {
	if v == "" {
		v = config.DefaultKubeVersion
	}
	if strings.Count(v, ".") == 1 {
		v += ".0"
	}
	return v
}

// splitHelmManifest decodes Helm's rendered manifest, whose documents each
// start with a "# Source: <chart>/templates/x.yaml" comment.
func splitHelmManifest(manifest, chartRel string) ([]Object, error) {
	var objs []Object
	var bad errs
	for _, doc := range strings.Split(manifest, "\n---\n") {
		doc = strings.TrimPrefix(doc, "---\n")
		file := chartRel
		if first, _, ok := strings.Cut(doc, "\n"); ok && strings.HasPrefix(first, "# Source: ") {
			file = helmSourceFile(strings.TrimPrefix(first, "# Source: "), chartRel)
		}
		o, err := Decode(file, []byte(doc))
		for i := range o {
			o[i].Source.Line = 0
		}
		objs = append(objs, o...)
		bad = appendErr(bad, err)
	}
	return objs, bad.err()
}
