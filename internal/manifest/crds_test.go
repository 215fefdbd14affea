package manifest

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kship/kship/internal/config"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const clusterCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusterwidgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {kind: ClusterWidget, plural: clusterwidgets}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`

// TestCRDsOfSpecCheck: the CRDs spec.check.crds names tell the scope of
// custom resources the bundle does not define (a cluster-scoped one gets
// no namespace), and are read from files and folders.
func TestCRDsOfSpecCheck(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"deploy/cw.yaml":          "apiVersion: example.com/v1\nkind: ClusterWidget\nmetadata: {name: cw}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
		"crds/cluster.yaml":       clusterCRD,
		"crds/nested/notes.json":  `{"type": "object"}`,
		"crds/nested/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
	})
	rel := &config.Release{Dir: dir, Metadata: config.Metadata{Name: "web"},
		Spec: config.Spec{Namespace: "shop", Source: config.Source{Path: "deploy"}, Check: config.Check{CRDs: []string{"crds"}}}}
	objs, err := Load(context.Background(), rel, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ns := objs[0].Obj.GetNamespace(); ns != "" {
		t.Errorf("ClusterWidget got namespace %q", ns)
	}
	if ns := objs[1].Obj.GetNamespace(); ns != "shop" {
		t.Errorf("Widget got namespace %q, want shop", ns)
	}
	src, err := ReadCRDs(rel)
	if err != nil {
		t.Fatal(err)
	}
	if len(src.CRDs) != 1 || src.CRDs[0].Source != (Location{File: "crds/cluster.yaml", Line: 1}) {
		t.Errorf("CRDs = %+v", src.CRDs)
	}
	want := []string{"crds/nested/deploy.yaml (no CustomResourceDefinition)", "crds/nested/notes.json (not Kubernetes manifests)"}
	if !reflect.DeepEqual(src.Skipped, want) {
		t.Errorf("skipped = %q, want %q", src.Skipped, want)
	}
}

func TestCRDsOfSpecCheckErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"})
	for paths, want := range map[string]string{
		"missing":     "spec.check.crds/--crds: missing: no such file or folder",
		"deploy.yaml": "deploy.yaml:1: spec.check.crds/--crds: Deployment d is not a CustomResourceDefinition; give CRDs only",
	} {
		rel := &config.Release{Dir: dir, Spec: config.Spec{Check: config.Check{CRDs: []string{paths}}}}
		_, err := ReadCRDs(rel)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", paths, err, want)
		}
	}
}

// TestOfflineRefusesRemoteBases: offline, a remote kustomize base is
// refused with the kustomization's file and line, before any git fetch.
func TestOfflineRefusesRemoteBases(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"overlay/kustomization.yaml": "resources:\n- ../base\n- https://raw.githubusercontent.com/example/app/main/deploy.yaml\n",
		"base/kustomization.yaml":    "resources:\n- cm.yaml\n- github.com/example/app//deploy?ref=v1.0.0\n",
		"base/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
		"local/kustomization.yaml":   "resources:\n- cm.yaml\n",
		"local/cm.yaml":              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	})
	rel := &config.Release{Dir: dir, Metadata: config.Metadata{Name: "web"}, Spec: config.Spec{Namespace: "shop", Source: config.Source{Path: "overlay"}}}
	_, err := LoadOffline(context.Background(), rel)
	if err == nil {
		t.Fatal("a remote base was not refused offline")
	}
	for _, want := range []string{
		"overlay/kustomization.yaml:3: resources: https://raw.githubusercontent.com/example/app/main/deploy.yaml is remote: --offline fetches nothing",
		"base/kustomization.yaml:3: resources: github.com/example/app//deploy?ref=v1.0.0 is remote",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nwant it to say %q", err, want)
		}
	}
	rel.Spec.Source.Path = "local"
	if objs, err := LoadOffline(context.Background(), rel); err != nil || len(objs) != 1 {
		t.Errorf("a local kustomization offline: %d objects, %v", len(objs), err)
	}
}
