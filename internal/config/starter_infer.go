package config

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

// StarterObject is one rendered object `kship init` guesses from, and the
// file:line it came from (for the starter's comments).
type StarterObject struct {
	Obj  *unstructured.Unstructured
	From string
}

// NewStarter begins the starter of the folder dir, for a release file
// written into the folder outDir: the release name (from the folder, or
// the chart's name), the source (a Helm chart when dir holds Chart.yaml, a
// folder or kustomization otherwise) as a path relative to the release
// file, and the namespace "default". Guess fills in what the objects say.
func NewStarter(dir, outDir string) Starter {
	s := Starter{Name: releaseName(dir), Namespace: "default", Kustomization: isKustomization(dir),
		SmokeFrom: "nothing (no Service found)", GateFrom: "nothing (no Deployment found)"}
	src := relativeSource(outDir, dir)
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		s.Path = src
		return s
	}
	s.Chart, s.Kustomization = src, false
	if ch, err := loader.Load(dir); err == nil && validName(ch.Metadata.Name) {
		s.Name = ch.Metadata.Name
	}
	return s
}

// Release is the release the starter describes, as far as rendering its
// source needs: its name, source and folder (outDir, where the release
// file goes).
func (s Starter) Release(outDir string) *Release {
	rel := &Release{Dir: outDir, Metadata: Metadata{Name: s.Name}}
	if s.Chart != "" {
		rel.Spec.Source.Helm = &Helm{Chart: s.Chart, ReleaseName: s.Name, Values: s.Values}
	} else {
		rel.Spec.Source.Path = s.Path
	}
	return rel
}

// relativeSource writes target relative to the release file's folder base:
// "." for the folder itself, "./deploy" below it, "../deploy" beside it
// (never "./../"), and the absolute path when there is no relative one.
func relativeSource(base, target string) string {
	r, err := filepath.Rel(base, target)
	if err != nil {
		return filepath.ToSlash(target)
	}
	r = filepath.ToSlash(r)
	if r == "." || r == ".." || strings.HasPrefix(r, "../") {
		return r
	}
	return "./" + r
}

// HasManifests reports whether dir holds anything kship renders: a YAML or
// JSON file (nested folders included, hidden ones skipped, the release file
// skip excluded), a kustomization or a Helm chart.
func HasManifests(dir, skip string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil || found:
			return filepath.SkipAll
		case d.IsDir() && path != dir && strings.HasPrefix(d.Name(), "."):
			return filepath.SkipDir
		case d.IsDir() || path == skip:
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
			found = true
		}
		if d.Name() == "Kustomization" {
			found = true
		}
		return nil
	})
	return found
}

func isKustomization(dir string) bool {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
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

// Guess fills the namespace, smoke check and gate of s from the rendered
// objects. A namespace given (kship init -n) is kept and not guessed.
func (s *Starter) Guess(objs []StarterObject, namespace string) {
	if namespace != "" {
		s.Namespace, s.NamespaceFrom = namespace, ""
	} else if ns, from := guessNamespace(objs); ns != "" {
		s.Namespace, s.NamespaceFrom = ns, from
	}
	s.SmokeURL = fmt.Sprintf("http://%s.%s.example/healthz", s.Name, s.Namespace)
	s.GateSelector = `namespace="{{.Namespace}}"`
	deploy := first(objs, "Deployment", nil)
	var podLabels map[string]string
	probe := "/healthz"
	if deploy != nil {
		podLabels, _, _ = unstructured.NestedStringMap(deploy.Object, "spec", "template", "metadata", "labels")
		sel, _, _ := unstructured.NestedStringMap(deploy.Object, "spec", "selector", "matchLabels")
		if k := pickLabel(sel); k != "" {
			s.GateSelector += fmt.Sprintf(",%s=%q", promLabel(k), sel[k])
		}
		s.GateFrom = fmt.Sprintf("Deployment %s (its selector, as Prometheus labels)", deploy.GetName())
		if p := probePath(deploy); p != "" {
			probe = p
		}
	}
	svc := first(objs, "Service", func(o *unstructured.Unstructured) bool { return selects(o, podLabels) })
	if svc == nil {
		svc = first(objs, "Service", nil)
	}
	if svc != nil {
		s.SmokeURL = fmt.Sprintf("http://%s.%s.example%s", svc.GetName(), s.Namespace, probe)
		s.SmokeFrom = "Service " + svc.GetName()
		s.SmokeService, s.SmokePath = svc.GetName(), probe
		if u, from := ingressURL(objs, svc.GetName(), probe); u != "" {
			s.SmokeURL, s.SmokeFrom = u, from
		}
	}
}

// guessNamespace returns the namespace most objects set, or the only
// Namespace object of the bundle.
func guessNamespace(objs []StarterObject) (string, string) {
	count := map[string]int{}
	from := map[string]string{}
	var order, namespaces []string
	for _, o := range objs {
		if o.Obj.GetKind() == "Namespace" {
			namespaces = append(namespaces, o.Obj.GetName())
			from["ns:"+o.Obj.GetName()] = o.From
		}
		ns := o.Obj.GetNamespace()
		if ns == "" || !validName(ns) {
			continue
		}
		if count[ns] == 0 {
			order = append(order, ns)
			from[ns] = o.From
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

func first(objs []StarterObject, kind string, ok func(*unstructured.Unstructured) bool) *unstructured.Unstructured {
	for _, o := range objs {
		if o.Obj.GetKind() == kind && (ok == nil || ok(o.Obj)) {
			return o.Obj
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
func ingressURL(objs []StarterObject, service, probe string) (string, string) {
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
