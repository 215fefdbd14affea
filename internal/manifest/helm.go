package manifest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	helmrelease "helm.sh/helm/v3/pkg/release"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/input"
)

// renderHelm renders a local chart with Helm's SDK the way `helm template`
// does: client-only dry-run install, nothing stored, no cluster contact.
// Values files are merged in order, then the set values (Helm --set
// syntax for keys, values typed as --set types them). CRDs of the chart's
// crds/ folder are included. Hooks are left out: kship has no hook
// lifecycle, and applying pre-/post-install or test hooks as ordinary
// objects would run them at the wrong time; they are listed in
// Rendered.Skipped so the caller can say so. NOTES.txt is not an object.
// Templates see .Capabilities.KubeVersion = spec.source.helm.kubeVersion
// (default config.DefaultKubeVersion) and the built-in API versions; API
// versions served only by the cluster's CRDs are not visible offline.
// Each object's source is the template it was rendered from
// (chart/templates/x.yaml, relative to the release file's folder); the line
// is unknown (0) because rendered lines do not match template lines.
func renderHelm(ctx context.Context, rel *config.Release, rd *input.Reader) (*Rendered, error) {
	h := rel.Spec.Source.Helm
	chartPath := resolve(rel.Dir, h.Chart)
	chartRel := relPath(rel.Dir, chartPath)
	fail := func(format string, args ...any) error {
		return &Error{Source: Location{File: chartRel}, Msg: fmt.Sprintf(format, args...)}
	}
	chrt, err := loadChart(rd, rel.Dir, chartPath)
	if err != nil {
		if me := (*Error)(nil); errors.As(err, &me) { // a file refused, named
			return nil, err
		}
		return nil, fail("cannot load the Helm chart: %v", err)
	}
	if err := action.CheckDependencies(chrt, chrt.Metadata.Dependencies); err != nil {
		return nil, fail("%v (run `helm dependency build %s`)", err, chartRel)
	}
	vals, err := helmValues(rd, rel.Dir, h)
	if err != nil {
		if me := (*Error)(nil); errors.As(err, &me) {
			return nil, err
		}
		return nil, fail("%v", err)
	}
	kv, err := chartutil.ParseKubeVersion(kubeVersionOr(h.KubeVersion))
	if err != nil {
		return nil, &Error{Source: Location{File: chartRel}, Msg: "spec.source.helm.kubeVersion: " + err.Error()}
	}
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.KubeVersion = kv
	inst.DryRun, inst.ClientOnly, inst.Replace, inst.IncludeCRDs = true, true, true, true
	inst.ReleaseName, inst.Namespace = h.ReleaseName, rel.Spec.Namespace
	out, err := inst.RunWithContext(ctx, chrt, vals)
	if err != nil {
		return nil, fail("helm template failed: %v", err)
	}
	objs, err := splitHelmManifest(out.Manifest, chartRel)
	if err != nil {
		return nil, err
	}
	return &Rendered{Objects: objs, Skipped: skippedHooks(out.Hooks, chartRel, rel.Spec.Namespace)}, nil
}

// skippedHooks names the hooks kship leaves out.
func skippedHooks(hooks []*helmrelease.Hook, chartRel, ns string) []Skipped {
	var out []Skipped
	for _, h := range hooks {
		events := make([]string, len(h.Events))
		for i, e := range h.Events {
			events[i] = string(e)
		}
		out = append(out, Skipped{
			Ref:    Ref{Kind: h.Kind, Namespace: ns, Name: h.Name},
			Source: Location{File: helmSourceFile(h.Path, chartRel)},
			Reason: fmt.Sprintf("Helm hook (%s) not applied: kship has no hook lifecycle; declare a migration Job under spec.migrations or a Job smoke check instead", strings.Join(events, ", ")),
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
