package configdigest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kship/kship/internal/manifest"
)

// decode reads inline YAML as a rendered bundle in namespace shop.
func decode(t *testing.T, docs ...string) []manifest.Object {
	t.Helper()
	objs, err := manifest.Decode("app.yaml", []byte(strings.Join(docs, "\n---\n")))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.Obj.GetNamespace() == "" {
			o.Obj.SetNamespace("shop")
		}
	}
	return objs
}

func configMap(name string, data string, annotations ...string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s%s}\ndata: %s", name, annotationsField(annotations), data)
}

func secret(name string, stringData string, annotations ...string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s%s}\nstringData: %s", name, annotationsField(annotations), stringData)
}

func annotationsField(kv []string) string {
	if len(kv) == 0 {
		return ""
	}
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, fmt.Sprintf("%q: %q", kv[i], kv[i+1]))
	}
	return ", annotations: {" + strings.Join(parts, ", ") + "}"
}

// workload renders a kind with a pod spec (indented for spec.template.spec)
// and metadata annotations.
func workload(apiVersion, kind, name, podSpec string, annotations ...string) string {
	indent := func(s, pad string) string { return pad + strings.ReplaceAll(s, "\n", "\n"+pad) }
	switch kind {
	case "CronJob":
		return fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: {name: %s%s}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n%s",
			apiVersion, kind, name, annotationsField(annotations), indent(podSpec, "          "))
	case "Pod":
		return fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: {name: %s%s}\nspec:\n%s", apiVersion, kind, name, annotationsField(annotations), indent(podSpec, "  "))
	}
	return fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata: {name: %s%s}\nspec:\n  template:\n    spec:\n%s",
		apiVersion, kind, name, annotationsField(annotations), indent(podSpec, "      "))
}

func deployment(name, podSpec string, annotations ...string) string {
	return workload("apps/v1", "Deployment", name, podSpec, annotations...)
}

const allRefs = `initContainers:
  - name: init
    envFrom: [{secretRef: {name: db}}]
containers:
  - name: web
    envFrom:
      - configMapRef: {name: web-config}
      - prefix: X_
        configMapRef: {name: web-config}
    env:
      - {name: API_KEY, valueFrom: {secretKeyRef: {name: api, key: token}}}
      - {name: MODE, valueFrom: {configMapKeyRef: {name: flags, key: mode, optional: true}}}
      - {name: PLAIN, value: x}
  - name: sidecar
    envFrom: [{configMapRef: {name: web-config}}]
volumes:
  - {name: conf, configMap: {name: files, items: [{key: a.conf, path: a.conf}, {key: b.conf, path: b.conf}]}}
  - {name: tls, secret: {secretName: tls}}
  - name: bundle
    projected:
      sources:
        - configMap: {name: ca}
        - secret: {name: creds, items: [{key: user, path: user}]}
        - serviceAccountToken: {path: token}
  - {name: scratch, emptyDir: {}}`

func TestUsesListsEveryWayATemplateConsumesConfig(t *testing.T) {
	objs := decode(t, deployment("web", allRefs),
		configMap("web-config", "{a: '1'}"), configMap("flags", "{mode: x}"), configMap("files", "{a.conf: x}"),
		configMap("ca", "{ca.crt: x}"), secret("db", "{url: x}"), secret("api", "{token: x}"),
		secret("tls", "{tls.key: x}"), secret("creds", "{user: x}"))
	var got []string
	for _, u := range Uses(objs) {
		if u.Workload.String() != "Deployment shop/web" || u.Config.Namespace != "shop" {
			t.Errorf("use %+v: wrong workload or namespace", u)
		}
		got = append(got, fmt.Sprintf("%s %s: %s %v", u.Config.Kind, u.Config.Name, u.How, u.Keys))
	}
	want := []string{
		"Secret db: envFrom []",
		"ConfigMap web-config: envFrom []",
		"Secret api: env API_KEY [token]",
		"ConfigMap flags: env MODE [mode]",
		"ConfigMap files: volume conf [a.conf b.conf]",
		"Secret tls: volume tls []",
		"ConfigMap ca: projected volume bundle []",
		"Secret creds: projected volume bundle [user]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("uses:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestUsesOnlyBundleObjectsOfStampedKinds(t *testing.T) {
	spec := "containers: [{name: c, envFrom: [{configMapRef: {name: cfg}}, {configMapRef: {name: cluster-only}}]}]"
	for _, tc := range []struct {
		name string
		docs []string
		want []string // workloads with uses
	}{
		{"Deployment, StatefulSet, DaemonSet", []string{
			deployment("d", spec), workload("apps/v1", "StatefulSet", "s", spec), workload("apps/v1", "DaemonSet", "ds", spec)},
			[]string{"Deployment shop/d", "StatefulSet shop/s", "DaemonSet shop/ds"}},
		{"Job and CronJob are not stamped", []string{
			workload("batch/v1", "Job", "j", spec), workload("batch/v1", "CronJob", "cj", spec)}, nil},
		{"ReplicaSet and Pod are not stamped", []string{
			workload("apps/v1", "ReplicaSet", "rs", spec), workload("v1", "Pod", "p", spec)}, nil},
		{"a Deployment of another group is not a workload", []string{
			workload("example.com/v1", "Deployment", "x", spec)}, nil},
		{"workload opted out", []string{deployment("d", spec, OptOutAnnotation, "false")}, nil},
		{"workload opted in explicitly", []string{deployment("d", spec, OptOutAnnotation, "true")}, []string{"Deployment shop/d"}},
	} {
		objs := decode(t, append(tc.docs, configMap("cfg", "{a: '1'}"))...)
		var got []string
		for _, u := range Uses(objs) {
			if u.Config.Name != "cfg" {
				t.Errorf("%s: %s uses %s, which is not in the bundle", tc.name, u.Workload, u.Config)
			}
			got = append(got, u.Workload.String())
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: uses by %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUsesSkipsOptedOutConfigAndOtherNamespaces(t *testing.T) {
	spec := "containers: [{name: c, envFrom: [{configMapRef: {name: reloaded}}, {configMapRef: {name: other-ns}}, {configMapRef: {name: cfg}}]}]"
	objs := decode(t, deployment("d", spec), configMap("reloaded", "{a: '1'}", OptOutAnnotation, "false"),
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other-ns, namespace: elsewhere}\ndata: {a: '1'}", configMap("cfg", "{a: '1'}"))
	uses := Uses(objs)
	if len(uses) != 1 || uses[0].Config.Name != "cfg" {
		t.Fatalf("uses %+v, want only ConfigMap cfg", uses)
	}
}
