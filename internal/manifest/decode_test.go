package manifest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/config"
)

func TestDecodeTypes(t *testing.T) {
	objs, err := Decode("x.yaml", []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: types
  annotations: &ann
    a: "1"
base: &base {x: 1, y: 2}
values:
  int: 42
  octal: 0o17
  big: 12345678901234567890
  float: 1.5
  exp: 1e3
  yes11: yes
  off11: Off
  quotedYes: "yes"
  true12: true
  null: ~
  date: 2024-01-02
  str: hello
  hex: 0x1F
  inf: .inf
merged:
  <<: *base
  y: 3
alias: *ann
`))
	if err != nil {
		t.Fatal(err)
	}
	m := objs[0].Obj.Object
	want := map[string]any{
		"int": int64(42), "octal": int64(15), "big": float64(12345678901234567890), "float": 1.5, "exp": float64(1000),
		"yes11": true, "off11": false, "quotedYes": "yes", "true12": true, "null": nil,
		"date": "2024-01-02", "str": "hello", "hex": int64(31), "inf": ".inf",
	}
	if got := m["values"]; !reflect.DeepEqual(got, want) {
		t.Errorf("values = %#v\nwant %#v", got, want)
	}
	if got := m["merged"]; !reflect.DeepEqual(got, map[string]any{"x": int64(1), "y": int64(3)}) {
		t.Errorf("merged = %#v", got)
	}
	if got := m["alias"]; !reflect.DeepEqual(got, map[string]any{"a": "1"}) {
		t.Errorf("alias = %#v", got)
	}
	// DeepCopy panics on types unstructured does not allow.
	_ = objs[0].Obj.DeepCopy()
}

func TestDecodeLines(t *testing.T) {
	objs, err := Decode("m.yaml", []byte("# head\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n\n# c\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n- {apiVersion: v1, kind: Secret, metadata: {name: c}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Ref().String()+"@"+o.Source.String())
	}
	want := []string{"ConfigMap a@m.yaml:4", "Secret b@m.yaml:13", "Secret c@m.yaml:16"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestErrorMessages checks that every message names file and line and says
// what is wrong.
func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"malformed YAML", map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n"},
			[]string{"deploy/a.yaml:5: invalid YAML: mapping values are not allowed in this context"}},
		{"missing kind and name", map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nmetadata: {}\n"},
			[]string{"deploy/a.yaml:5: missing kind, metadata.name"}},
		{"generateName", map[string]string{"a.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: m-}\n"},
			[]string{"deploy/a.yaml:1: missing metadata.name (in a Job); generateName is not supported"}},
		{"not a mapping", map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n- a\n- b\n"},
			[]string{"deploy/a.yaml:5: a manifest must be a mapping with apiVersion, kind and metadata, not a list"}},
		{"duplicate key", map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata:\n  a: x\n  a: y\n"},
			[]string{`deploy/a.yaml:6: key "a" is written twice in the same mapping; keep one`}},
		{"bad list item", map[string]string{"a.json": `{"apiVersion": "v1", "kind": "List", "items": [` + "\n" + `{"apiVersion": "v1", "kind": "Secret"}]}`},
			[]string{"deploy/a.json:2: missing metadata.name (in a Secret)"}},
		{"duplicate object", map[string]string{
			"a.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
			"sub/b.yaml": "# same object\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: shop}\n"},
			[]string{"deploy/sub/b.yaml:2: ConfigMap shop/web is defined twice: here and at deploy/a.yaml:1; keep one"}},
		{"namespace on cluster-scoped", map[string]string{"a.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, namespace: shop}\n"},
			[]string{`deploy/a.yaml:1: ClusterRole r is cluster-scoped but sets metadata.namespace "shop"; remove it`}},
		{"cluster-scoped CRD kind from the bundle", map[string]string{"a.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ws.example.com}\nspec: {group: example.com, scope: Cluster, names: {kind: W}}\n---\napiVersion: example.com/v1\nkind: W\nmetadata: {name: w, namespace: shop}\n"},
			[]string{`deploy/a.yaml:6: W w is cluster-scoped but sets metadata.namespace "shop"; remove it`}},
		{"kustomization inside a folder", map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n", "sub/kustomization.yaml": "resources: []\n"},
			[]string{"deploy/sub/kustomization.yaml: a kustomization inside a plain folder of manifests; point spec.source.path at deploy/sub instead"}},
		{"alias loop", map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata:\n  x: &x [*x]\n"},
			[]string{"deploy/a.yaml:5: alias *x refers to a value that holds it (an alias loop); write the value out"}},
		{"merge-key loop", map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata: &d\n  a: b\n  <<: *d\n"},
			[]string{"deploy/a.yaml:6: alias *d refers to a value that holds it (an alias loop); write the value out"}},
		{"several files, all reported", map[string]string{"a.yaml": "kind: ConfigMap\nmetadata: {name: a}\n", "b.yaml": "apiVersion: v1\nkind: [\n"},
			[]string{"deploy/a.yaml:1: missing apiVersion (in a ConfigMap)", "deploy/b.yaml:3: invalid YAML: did not find expected node content"}},
	}
	fileLine := regexp.MustCompile(`^deploy/[a-z/]+\.(yaml|json)(:\d+)?: `)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				p := filepath.Join(dir, "deploy", name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			rel := &config.Release{Dir: dir, Spec: config.Spec{Namespace: "shop", Source: config.Source{Path: "deploy"}}}
			_, err := Load(context.Background(), rel, nil)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			var one *Error
			if !errors.As(err, &one) {
				t.Errorf("error %T is not a *manifest.Error", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("got %d errors, want %d:\n%s", len(lines), len(tt.want), err)
			}
			for i, l := range lines {
				if i < len(tt.want) && !strings.HasPrefix(l, tt.want[i]) {
					t.Errorf("error %d = %q, want prefix %q", i, l, tt.want[i])
				}
				if !fileLine.MatchString(l) {
					t.Errorf("error %q does not start with file:line", l)
				}
			}
		})
	}
}

func TestLoadEmptyAndMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]string{
		"empty":   "renders no objects",
		"missing": "no such file or directory",
	} {
		rel := &config.Release{Dir: dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop", Source: config.Source{Path: src}}}
		if _, err := Load(context.Background(), rel, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", src, err, want)
		}
	}
}

func TestLoadPathForms(t *testing.T) {
	rel := release(t, config.Source{Path: "kustomize/overlay/kustomization.yaml"})
	objs, err := Load(context.Background(), rel, nil)
	if err != nil || len(objs) != 3 {
		t.Errorf("kustomization file as path: %v, %d objects", err, len(objs))
	}
	rel.Spec.Source.Path = "folder/nested/deploy.yml"
	if objs, err := Load(context.Background(), rel, nil); err != nil || len(objs) != 1 || objs[0].Source.String() != "folder/nested/deploy.yml:1" {
		t.Errorf("single file: %v, %v", err, objs)
	}
	rel.Spec.Source.Path = "chart"
	if _, err := Load(context.Background(), rel, nil); err == nil || err.Error() != "chart: this folder is a Helm chart: write source: {helm: {chart: chart}} instead of path" {
		t.Errorf("chart as path: %v", err)
	}
}

func TestLoadHelmErrors(t *testing.T) {
	dir := t.TempDir()
	chart := filepath.Join(dir, "c")
	must(t, os.MkdirAll(filepath.Join(chart, "templates"), 0o755))
	must(t, os.WriteFile(filepath.Join(chart, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(chart, "templates", "x.yaml"), []byte("kind: {{ .Values.missing.field }}\n"), 0o644))
	rel := &config.Release{Dir: dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop",
		Source: config.Source{Helm: &config.Helm{Chart: "c", ReleaseName: "web"}}}}
	_, err := Load(context.Background(), rel, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "c: helm template failed:") || !strings.Contains(err.Error(), "templates/x.yaml:1") {
		t.Errorf("error = %v", err)
	}
}

func TestLoadKustomizationError(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "k"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "k", "kustomization.yaml"), []byte("resources: [missing.yaml]\n"), 0o644))
	rel := &config.Release{Dir: dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop", Source: config.Source{Path: "k"}}}
	_, err := Load(context.Background(), rel, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "k/kustomization.yaml: kustomize build failed:") || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("error = %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestKustomizationOwnOriginAnnotations keeps the origin annotation when
// the kustomization asks for it, and removes it otherwise.
func TestKustomizationOwnOriginAnnotations(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "k"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "k", "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"), 0o644))
	for kust, keep := range map[string]bool{
		"resources: [cm.yaml]\n":                                     false,
		"resources: [cm.yaml]\nbuildMetadata: [originAnnotations]\n": true,
	} {
		must(t, os.WriteFile(filepath.Join(dir, "k", "kustomization.yaml"), []byte(kust), 0o644))
		rel := &config.Release{Dir: dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop", Source: config.Source{Path: "k"}}}
		objs, err := Load(context.Background(), rel, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, has := objs[0].Obj.GetAnnotations()[originAnnotation]
		if has != keep || objs[0].Source.String() != "k/cm.yaml:1" {
			t.Errorf("%q: origin annotation kept=%v, source %s", kust, has, objs[0].Source)
		}
	}
}

// TestHelmKubeVersion checks the Kubernetes version templates see: kship's
// default (not Helm's library default, 1.20), or the release file's.
func TestHelmKubeVersion(t *testing.T) {
	dir := t.TempDir()
	chart := filepath.Join(dir, "c")
	must(t, os.MkdirAll(filepath.Join(chart, "templates"), 0o755))
	must(t, os.WriteFile(filepath.Join(chart, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(chart, "templates", "cm.yaml"), []byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\ndata: {kube: {{ .Capabilities.KubeVersion.Version | quote }}, pdb: {{ .Capabilities.APIVersions.Has \"policy/v1\" | quote }}}\n"), 0o644))
	for given, want := range map[string]string{"": "v" + config.DefaultKubeVersion + ".0", "1.30": "v1.30.0"} {
		rel := &config.Release{Dir: dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop",
			Source: config.Source{Helm: &config.Helm{Chart: "c", ReleaseName: "web", KubeVersion: given}}}}
		objs, err := Load(context.Background(), rel, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, _, _ := unstructured.NestedStringMap(objs[0].Obj.Object, "data")
		if data["kube"] != want || data["pdb"] != "true" {
			t.Errorf("kubeVersion %q: templates saw %v, want %s", given, data, want)
		}
	}
}
