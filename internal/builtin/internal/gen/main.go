// Command gen writes package builtin's table of the kinds the Kubernetes API
// server serves, from the API server's own data at the release kship builds
// against:
//
//   - the discovery documents kube-apiserver publishes with every API
//     enabled (api/discovery/*.json of k8s.io/kubernetes at the release of
//     k8s.io/api): which kinds it serves, as which resource, in which scope,
//     with which verbs;
//   - the prerelease lifecycle k8s.io/api compiles into each type
//     (zz_generated.prerelease-lifecycle.go): introduced, deprecated,
//     removed, replacement.
//
// Run it with `go generate ./internal/builtin` after upgrading k8s.io/api.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/builtin/internal/apis"
)

func main() {
	out := flag.String("o", "zz_generated.kinds.go", "file to write")
	flag.Parse()
	apiVersion, err := moduleVersion("k8s.io/api")
	if err != nil {
		log.Fatal(err)
	}
	// k8s.io/api v0.X.Y is cut from Kubernetes v1.X.Y.
	kubeVersion := "v1" + strings.TrimPrefix(apiVersion, "v0")
	dir, err := downloadDir("k8s.io/kubernetes@" + kubeVersion)
	if err != nil {
		log.Fatal(err)
	}
	served, err := readDiscovery(filepath.Join(dir, "api", "discovery"))
	if err != nil {
		log.Fatal(err)
	}
	src, err := render(apiVersion, kubeVersion, table(served))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// moduleVersion is the version of a module in the build list of the module
// being generated for.
func moduleVersion(path string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", path).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", path, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// downloadDir downloads a module version (outside any module, so go.mod is
// not touched) and returns its folder in the module cache.
func downloadDir(modVersion string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", modVersion)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Error != "" {
		return "", fmt.Errorf("go mod download %s: %v%s", modVersion, err, m.Error)
	}
	return m.Dir, nil
}

// resource is what discovery says of one served kind.
type resource struct {
	name        string
	namespaced  bool
	verbs       []string
	subresource bool // only served as a subresource (pods/eviction)
}

// readDiscovery reads every group-version document (api__v1.json,
// apis__<group>__<version>.json) into a map of served kinds.
func readDiscovery(dir string) (map[schema.GroupVersionKind]resource, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	out := map[schema.GroupVersionKind]resource{}
	subs := map[schema.GroupVersionKind]resource{}
	for _, f := range files {
		base := filepath.Base(f)
		if strings.Count(base, "__") != map[bool]int{true: 1, false: 2}[strings.HasPrefix(base, "api__")] {
			continue // a group list, not a group-version document
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var list metav1.APIResourceList
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, r := range list.APIResources {
			g, v := gv.Group, gv.Version
			if r.Group != "" || r.Version != "" {
				g, v = r.Group, r.Version
			}
			gvk := schema.GroupVersionKind{Group: g, Version: v, Kind: r.Kind}
			res := resource{name: r.Name, namespaced: r.Namespaced, verbs: append([]string(nil), r.Verbs...)}
			if strings.Contains(r.Name, "/") {
				if _, seen := subs[gvk]; !seen {
					res.subresource = true
					subs[gvk] = res
				}
				continue
			}
			out[gvk] = res
		}
	}
	for gvk, r := range subs {
		if _, top := out[gvk]; !top {
			out[gvk] = r
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no discovery documents in %s", dir)
	}
	return out, nil
}

// entry is one row of the generated table.
type entry struct {
	gvk       schema.GroupVersionKind
	res       *resource
	lifecycle *apis.Lifecycle
}

// table joins the served kinds with the object kinds of the scheme and
// their lifecycle. A kind of the scheme that discovery does not list is not
// served by this release (its type is kept for older clusters).
func table(served map[schema.GroupVersionKind]resource) []entry {
	rows := map[schema.GroupVersionKind]*entry{}
	for gvk, r := range served {
		r := r
		rows[gvk] = &entry{gvk: gvk, res: &r}
	}
	for gvk, t := range apis.Objects(apis.Served()) {
		e := rows[gvk]
		if e == nil {
			e = &entry{gvk: gvk}
			rows[gvk] = e
		}
		if l, ok := apis.LifecycleOf(t); ok {
			e.lifecycle = &l
		}
	}
	out := make([]entry, 0, len(rows))
	for _, e := range rows {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].gvk, out[j].gvk
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Version < b.Version
	})
	return out
}

// scopes returns whether each group and kind is namespaced, from any
// served version (scope does not change across versions); a kind no
// version of which is served any more (extensions/v1beta1 Deployment)
// takes the scope of its replacement.
func scopes(rows []entry) map[schema.GroupKind]bool {
	out := map[schema.GroupKind]bool{}
	for _, e := range rows {
		if e.res != nil {
			out[e.gvk.GroupKind()] = e.res.namespaced
		}
	}
	for _, e := range rows {
		if _, ok := out[e.gvk.GroupKind()]; ok || e.lifecycle == nil {
			continue
		}
		if ns, ok := out[e.lifecycle.Replacement.GroupKind()]; ok && !e.lifecycle.Replacement.Empty() {
			out[e.gvk.GroupKind()] = ns
		}
	}
	return out
}

func render(apiVersion, kubeVersion string, rows []entry) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/builtin/internal/gen from k8s.io/api %s and the discovery documents of k8s.io/kubernetes %s. DO NOT EDIT.\n\n", apiVersion, kubeVersion)
	b.WriteString("package builtin\n\n")
	b.WriteString("import \"k8s.io/apimachinery/pkg/runtime/schema\"\n\n")
	fmt.Fprintf(&b, "// GeneratedFrom is the k8s.io/api version the table was generated from.\nconst GeneratedFrom = %q\n\n", apiVersion)
	fmt.Fprintf(&b, "// ServerRelease is the Kubernetes release whose API server the table describes.\nconst ServerRelease = %q\n\n", strings.TrimPrefix(kubeVersion, "v"))
	b.WriteString("var kinds = []Kind{\n")
	sc := scopes(rows)
	for _, e := range rows {
		fmt.Fprintf(&b, "\t{GVK: schema.GroupVersionKind{Group: %q, Version: %q, Kind: %q}", e.gvk.Group, e.gvk.Version, e.gvk.Kind)
		if e.res != nil {
			fmt.Fprintf(&b, ", Served: true, Resource: %q", e.res.name)
			if e.res.subresource {
				b.WriteString(", Subresource: true")
			}
			fmt.Fprintf(&b, ", Verbs: %#v", e.res.verbs)
		}
		if ns, ok := sc[e.gvk.GroupKind()]; ok {
			fmt.Fprintf(&b, ", Scope: %s", map[bool]string{true: "Namespaced", false: "Cluster"}[ns])
		}
		if l := e.lifecycle; l != nil {
			b.WriteString(", Lifecycle: Lifecycle{")
			var fields []string
			for _, f := range []struct {
				name string
				v    apis.Version
			}{{"Introduced", l.Introduced}, {"Deprecated", l.Deprecated}, {"Removed", l.Removed}} {
				if f.v != (apis.Version{}) {
					fields = append(fields, fmt.Sprintf("%s: Version{Major: %d, Minor: %d}", f.name, f.v.Major, f.v.Minor))
				}
			}
			if !l.Replacement.Empty() {
				fields = append(fields, fmt.Sprintf("Replacement: schema.GroupVersionKind{Group: %q, Version: %q, Kind: %q}", l.Replacement.Group, l.Replacement.Version, l.Replacement.Kind))
			}
			b.WriteString(strings.Join(fields, ", ") + "}")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
