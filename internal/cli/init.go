package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

// InitOptions are the inputs of `kship init`.
type InitOptions struct {
	// Dir is the folder of manifests, kustomization or Helm chart.
	Dir string
	// File is where to write the release file; empty: kship.yaml next to
	// Dir (inside Dir when Dir is the working folder).
	File string
	// Force overwrites an existing release file.
	Force bool
	// Out and ErrOut receive the summary and warnings.
	Out, ErrOut io.Writer
}

// NewCmdInit builds `kship init [DIR]`.
func NewCmdInit(_ *GlobalOptions) *cobra.Command {
	o := &InitOptions{}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "write a commented kship.yaml for a folder of manifests, a kustomization or a Helm chart",
		Long: `init inspects DIR (default: the working folder) and writes a commented
starter release file next to it: the name from the folder, the namespace
guessed from the manifests, the source, a commented HTTP smoke check and a
commented error-rate gate guessed from the first Service and Deployment,
and automatic rollback. It never overwrites a release file without --force.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dir = "."
			if len(args) == 1 {
				o.Dir = args[0]
			}
			o.Out, o.ErrOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.File, "file", "f", "", "where to write the release file (default: kship.yaml next to DIR)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite an existing release file")
	return cmd
}

// Run inspects the folder and writes the starter.
func (o *InitOptions) Run(ctx context.Context) error {
	dir, out, err := o.paths()
	if err != nil {
		return &ExitError{Code: ExitInput, Err: err}
	}
	if _, err := os.Stat(out); err == nil && !o.Force {
		return &ExitError{Code: ExitInput, Err: fmt.Errorf("%s already exists; use --force to overwrite it", out)}
	}
	s, n, err := inspect(ctx, dir, filepath.Dir(out))
	if err != nil {
		fmt.Fprintf(o.ErrOut, "warning: could not render %s, so nothing was guessed from its objects:\n%v\n", display(dir), err)
	}
	data, err := s.Render()
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return &ExitError{Code: ExitInput, Err: err}
	}
	if _, err := config.Load(out); err != nil {
		return fmt.Errorf("the starter kship wrote does not load (a kship bug): %w", err)
	}
	shown := display(out)
	fmt.Fprintf(o.Out, "wrote %s for %s (%d objects, namespace %s); review it, then run: kship check -f %s\n", shown, sourceDesc(s), n, s.Namespace, shown)
	return nil
}

// display shows path relative to the working folder when it is below it.
func display(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// paths returns the absolute source folder and release file path.
func (o *InitOptions) paths() (dir, out string, err error) {
	dir, err = filepath.Abs(o.Dir)
	if err != nil {
		return "", "", err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", "", fmt.Errorf("%s is not a folder of manifests", o.Dir)
	}
	if o.File != "" {
		out, err = filepath.Abs(o.File)
		return dir, out, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", "", err
	}
	if dir == wd {
		return dir, filepath.Join(dir, "kship.yaml"), nil
	}
	return dir, filepath.Join(filepath.Dir(dir), "kship.yaml"), nil
}

func sourceDesc(s config.Starter) string {
	switch {
	case s.Chart != "":
		return "Helm chart " + s.Chart
	case s.Kustomization:
		return "kustomization " + s.Path
	}
	return "folder " + s.Path
}

// inspect fills a Starter for the folder dir, written into outDir; it
// returns the number of objects rendered and why guessing failed, if it did.
func inspect(ctx context.Context, dir, outDir string) (config.Starter, int, error) {
	rel := &config.Release{Dir: outDir, Metadata: config.Metadata{Name: releaseName(dir)}}
	srcPath := "./" + filepath.ToSlash(mustRel(outDir, dir))
	if srcPath == "./." {
		srcPath = "."
	}
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil {
		rel.Spec.Source.Helm = &config.Helm{Chart: srcPath, ReleaseName: rel.Metadata.Name}
		if ch, err := loader.Load(dir); err == nil && validName(ch.Metadata.Name) {
			rel.Metadata.Name, rel.Spec.Source.Helm.ReleaseName = ch.Metadata.Name, ch.Metadata.Name
		}
	} else {
		rel.Spec.Source.Path = srcPath
	}
	s := config.Starter{Name: rel.Metadata.Name, Namespace: "default", Path: rel.Spec.Source.Path,
		Kustomization: isKustomization(dir), SmokeFrom: "nothing (no Service found)", GateFrom: "nothing (no Deployment found)"}
	if h := rel.Spec.Source.Helm; h != nil {
		s.Chart = h.Chart
	}
	objs, err := manifest.Load(ctx, rel, nil)
	guess(&s, objs)
	return s, len(objs), err
}

func isKustomization(dir string) bool {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

func mustRel(base, target string) string {
	r, err := filepath.Rel(base, target)
	if err != nil {
		return target
	}
	return r
}

// genericNames are folder names that say where manifests are, not what
// they ship; the release is then named after the folder above.
var genericNames = map[string]bool{"deploy": true, "deployment": true, "manifests": true, "k8s": true, "kubernetes": true,
	"kube": true, "chart": true, "charts": true, "helm": true, "base": true, "overlay": true, "overlays": true,
	"config": true, "yaml": true, "prod": true, "production": true, "staging": true, "dev": true}

var (
	notLabel    = regexp.MustCompile(`[^a-z0-9-]+`)
	versionName = regexp.MustCompile(`^v\d+(\.\d+)*$`) // v1, v2.3: a version of the app, not its name
)

// releaseName derives a DNS-label release name from a folder path.
func releaseName(dir string) string {
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		base := filepath.Base(d)
		if genericNames[strings.ToLower(base)] || versionName.MatchString(base) {
			continue
		}
		name := strings.Trim(notLabel.ReplaceAllString(strings.ToLower(base), "-"), "-")
		if len(name) > 53 {
			name = strings.Trim(name[:53], "-")
		}
		if validName(name) {
			return name
		}
	}
	return "app"
}

func validName(s string) bool { return len(validation.IsDNS1123Label(s)) == 0 }

// guess fills the namespace, smoke check and gate of s from the objects.
func guess(s *config.Starter, objs []manifest.Object) {
	if ns, from := guessNamespace(objs); ns != "" {
		s.Namespace, s.NamespaceFrom = ns, from
	}
	s.SmokeURL = fmt.Sprintf("http://%s.%s.example/healthz", s.Name, s.Namespace)
	s.GateSelector = fmt.Sprintf("namespace=%q", s.Namespace)
	deploy := first(objs, "Deployment", nil)
	var podLabels map[string]string
	probe := "/healthz"
	if deploy != nil {
		podLabels, _, _ = unstructured.NestedStringMap(deploy.Obj.Object, "spec", "template", "metadata", "labels")
		sel, _, _ := unstructured.NestedStringMap(deploy.Obj.Object, "spec", "selector", "matchLabels")
		if k := pickLabel(sel); k != "" {
			s.GateSelector += fmt.Sprintf(",%s=%q", promLabel(k), sel[k])
		}
		s.GateFrom = fmt.Sprintf("Deployment %s (its selector, as Prometheus labels)", deploy.Obj.GetName())
		if p := probePath(deploy.Obj); p != "" {
			probe = p
		}
	}
	svc := first(objs, "Service", func(o manifest.Object) bool { return selects(o.Obj, podLabels) })
	if svc == nil {
		svc = first(objs, "Service", nil)
	}
	if svc != nil {
		s.SmokeURL = fmt.Sprintf("http://%s.%s.example%s", svc.Obj.GetName(), s.Namespace, probe)
		s.SmokeFrom = "Service " + svc.Obj.GetName()
		if u, from := ingressURL(objs, svc.Obj.GetName(), probe); u != "" {
			s.SmokeURL, s.SmokeFrom = u, from
		}
	}
}

// guessNamespace returns the namespace most objects set, or the only
// Namespace object of the bundle.
func guessNamespace(objs []manifest.Object) (string, string) {
	count := map[string]int{}
	from := map[string]string{}
	var order, namespaces []string
	for _, o := range objs {
		if o.Obj.GetKind() == "Namespace" {
			namespaces = append(namespaces, o.Obj.GetName())
			from["ns:"+o.Obj.GetName()] = o.Source.String()
		}
		ns := o.Obj.GetNamespace()
		if ns == "" || !validName(ns) {
			continue
		}
		if count[ns] == 0 {
			order = append(order, ns)
			from[ns] = o.Source.String()
		}
		count[ns]++
	}
	if len(order) > 0 {
		sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
		return order[0], from[order[0]]
	}
	if len(namespaces) == 1 && validName(namespaces[0]) {
		return namespaces[0], from["ns:"+namespaces[0]]
	}
	return "", ""
}

func first(objs []manifest.Object, kind string, ok func(manifest.Object) bool) *manifest.Object {
	for i, o := range objs {
		if o.Obj.GetKind() == kind && (ok == nil || ok(o)) {
			return &objs[i]
		}
	}
	return nil
}

// pickLabel chooses the selector label that best names an app.
func pickLabel(sel map[string]string) string {
	for _, k := range []string{"app", "app.kubernetes.io/name", "name", "component"} {
		if _, ok := sel[k]; ok {
			return k
		}
	}
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		return keys[0]
	}
	return ""
}

var notPromLabel = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// promLabel is the Prometheus label a pod label becomes under the usual
// labelmap relabelling.
func promLabel(k string) string { return notPromLabel.ReplaceAllString(k, "_") }

func probePath(u *unstructured.Unstructured) string {
	containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	for _, c := range containers {
		cm, _ := c.(map[string]any)
		if p, _, _ := unstructured.NestedString(cm, "readinessProbe", "httpGet", "path"); p != "" {
			return p
		}
	}
	return ""
}

func selects(svc *unstructured.Unstructured, podLabels map[string]string) bool {
	sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	if len(sel) == 0 || len(podLabels) == 0 {
		return false
	}
	for k, v := range sel {
		if podLabels[k] != v {
			return false
		}
	}
	return true
}

// ingressURL finds an Ingress rule with a host that routes to service.
func ingressURL(objs []manifest.Object, service, probe string) (string, string) {
	for _, o := range objs {
		if o.Obj.GetKind() != "Ingress" {
			continue
		}
		rules, _, _ := unstructured.NestedSlice(o.Obj.Object, "spec", "rules")
		for _, r := range rules {
			rm, _ := r.(map[string]any)
			host, _, _ := unstructured.NestedString(rm, "host")
			paths, _, _ := unstructured.NestedSlice(rm, "http", "paths")
			for _, p := range paths {
				pm, _ := p.(map[string]any)
				name, _, _ := unstructured.NestedString(pm, "backend", "service", "name")
				if host != "" && name == service && !strings.Contains(host, "*") {
					return "http://" + host + probe, "Ingress " + o.Obj.GetName()
				}
			}
		}
	}
	return "", ""
}
