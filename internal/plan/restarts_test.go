package plan

import (
	"strings"
	"testing"

	"github.com/kship/kship/internal/configdigest"
	"github.com/kship/kship/internal/manifest"
)

var restartKey = configdigest.Key("0123456789abcdef0123456789abcdef")

// stampedBundle decodes inline YAML into namespace shop and stamps it.
func stampedBundle(t *testing.T, yaml string) []manifest.Object {
	t.Helper()
	if yaml == "" {
		return nil
	}
	objs, err := manifest.Decode("app.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		o.Obj.SetNamespace("shop")
	}
	if err := configdigest.Stamp(objs, restartKey); err != nil {
		t.Fatal(err)
	}
	return objs
}

// observations plans next against live, both stamped, as Compute would
// (the rendered object standing in for the dry-run result).
func observations(t *testing.T, live, next string) []observed {
	t.Helper()
	was := map[manifest.Ref]manifest.Object{}
	for _, o := range stampedBundle(t, live) {
		was[o.Ref()] = o
	}
	var obs []observed
	for _, o := range stampedBundle(t, next) {
		ob := observed{obj: o, result: o.Obj, change: Change{Ref: o.Ref()}}
		if l, ok := was[o.Ref()]; ok {
			ob.live = l.Obj
		}
		ob.change.Action, ob.change.Diff = classify(ob.live, ob.result)
		obs = append(obs, ob)
	}
	return obs
}

const restartApp = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web%s}
spec:
  updateStrategy: {type: RollingUpdate}
  template:
    spec:
      containers:
        - name: web
          image: web:1
          envFrom: [{configMapRef: {name: web-config}}]
          env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token}}}]
      volumes: [{name: files, configMap: {name: web-config}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  updateStrategy: {type: OnDelete}
  template:
    spec:
      containers: [{name: db, image: db:1, env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token}}}]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      containers: [{name: m, image: m:1, envFrom: [{configMapRef: {name: web-config}}]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {MESSAGE: %s}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {token: %s, unused: %s}
`

func app(annotations, message, token, unused string) string {
	if annotations != "" {
		annotations = ", annotations: {" + annotations + "}"
	}
	return strings.ReplaceAll(strings.ReplaceAll(
		strings.Replace(restartApp, "%s", annotations, 1), "{MESSAGE: %s}", "{MESSAGE: "+message+"}"),
		"{token: %s, unused: %s}", "{token: "+token+", unused: "+unused+"}")
}

func TestRestartsNameTheWorkloadAndTheConfigChange(t *testing.T) {
	v1 := app("", "hello", "s3cret-one", "x")
	for _, tc := range []struct {
		name, live, next string
		want             []string
	}{
		{"first release: nothing restarts", "", v1, nil},
		{"nothing changes", v1, v1, nil},
		{"a ConfigMap read through envFrom and a volume", v1, app("", "bye", "s3cret-one", "x"), []string{
			"Deployment shop/web restarts: ConfigMap shop/web-config changed (envFrom, volume files)"}},
		{"a Secret key read through env", v1, app("", "hello", "s3cret-two", "x"), []string{
			"Deployment shop/web restarts: Secret shop/creds changed (env TOKEN)",
			"StatefulSet shop/db restarts: Secret shop/creds changed (env TOKEN); its updateStrategy is OnDelete: the template changes, but each pod is replaced only when it is deleted"}},
		{"a Secret key nobody reads", v1, app("", "hello", "s3cret-one", "y"), nil},
		{"both", v1, app("", "bye", "s3cret-two", "x"), []string{
			"Deployment shop/web restarts: ConfigMap shop/web-config changed (envFrom, volume files); Secret shop/creds changed (env TOKEN)",
			"StatefulSet shop/db restarts: Secret shop/creds changed (env TOKEN); its updateStrategy is OnDelete: the template changes, but each pod is replaced only when it is deleted"}},
		{"opted out all along", app(`kship.dev/restart-on-config-change: "false"`, "hello", "s3cret-one", "x"),
			app(`kship.dev/restart-on-config-change: "false"`, "bye", "s3cret-one", "x"), nil},
		{"opting out removes the digest once", v1, app(`kship.dev/restart-on-config-change: "false"`, "hello", "s3cret-one", "x"), []string{
			`Deployment shop/web restarts: its config digest (kship.dev/config-digest) is removed: it opts out (kship.dev/restart-on-config-change: "false") or reads no config of the release any more`}},
	} {
		var got []string
		for _, r := range restarts(observations(t, tc.live, tc.next)) {
			got = append(got, r.String())
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestRestartsWhenTheDigestIsStampedForTheFirstTime(t *testing.T) {
	obs := observations(t, app("", "hello", "s3cret-one", "x"), app("", "hello", "s3cret-one", "x"))
	for i := range obs { // the live objects of a release kship deployed before it stamped digests
		if obs[i].live != nil && configdigest.Stamped(obs[i].live) {
			obs[i].live = obs[i].live.DeepCopy()
			delete(obs[i].live.Object["spec"].(map[string]any)["template"].(map[string]any), "metadata")
			obs[i].change.Action, obs[i].change.Diff = classify(obs[i].live, obs[i].result)
		}
	}
	rs := restarts(obs)
	if len(rs) != 2 || !strings.Contains(rs[0].String(), "for the first time") {
		t.Fatalf("restarts %v, want both workloads, stamped for the first time", rs)
	}
}
