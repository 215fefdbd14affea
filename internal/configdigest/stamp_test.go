package configdigest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kship/kship/internal/manifest"
)

var testKey = Key("0123456789abcdef0123456789abcdef")

// stamped stamps the bundle and returns each workload's digest by name.
func stamped(t *testing.T, key Key, docs ...string) map[string]string {
	t.Helper()
	objs := decode(t, docs...)
	if err := Stamp(objs, key); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, o := range objs {
		if d := Of(o.Obj); d != "" {
			out[o.Obj.GetName()] = d
		}
	}
	return out
}

const envFromCM = "containers: [{name: c, envFrom: [{configMapRef: {name: cfg}}]}]"

func TestDigestStableAndChangesOnlyWithWhatIsRead(t *testing.T) {
	keyRef := "containers: [{name: c, env: [{name: M, valueFrom: {configMapKeyRef: {name: cfg, key: message}}}]}]"
	items := "containers: [{name: c}]\nvolumes: [{name: v, configMap: {name: cfg, items: [{key: message, path: m}]}}]"
	base := func(spec, data string) string {
		return stamped(t, nil, deployment("web", spec), configMap("cfg", data))["web"]
	}
	for _, tc := range []struct {
		name       string
		spec       string
		data, next string
		same       bool
	}{
		{"same data, keys reordered", envFromCM, "{message: hi, level: info}", "{level: info, message: hi}", true},
		{"envFrom: any value", envFromCM, "{message: hi, level: info}", "{message: hi, level: debug}", false},
		{"envFrom: a key added", envFromCM, "{message: hi}", "{message: hi, level: info}", false},
		{"envFrom: a key renamed, same value", envFromCM, "{a: hi}", "{b: hi}", false},
		{"env key ref: the key read changes", keyRef, "{message: hi, level: info}", "{message: bye, level: info}", false},
		{"env key ref: another key changes", keyRef, "{message: hi, level: info}", "{message: hi, level: debug}", true},
		{"env key ref: the key read appears", keyRef, "{level: info}", "{level: info, message: hi}", false},
		{"volume items: another key changes", items, "{message: hi, other: x}", "{message: hi, other: y}", true},
		{"volume items: the item changes", items, "{message: hi, other: x}", "{message: bye, other: x}", false},
		{"no ambiguity between key and value", envFromCM, "{ab: c}", "{a: bc}", false},
	} {
		a, b := base(tc.spec, tc.data), base(tc.spec, tc.next)
		if a == "" || len(a) != 64 {
			t.Fatalf("%s: digest %q, want 64 hex digits", tc.name, a)
		}
		if (a == b) != tc.same {
			t.Errorf("%s: digests %s and %s; want same=%v", tc.name, a, b, tc.same)
		}
		if again := base(tc.spec, tc.data); again != a {
			t.Errorf("%s: the same bundle stamped twice gives %s and %s", tc.name, a, again)
		}
	}
}

func TestDigestOverEveryConsumedObjectInAnyOrder(t *testing.T) {
	spec := "containers: [{name: c, envFrom: [{configMapRef: {name: a}}, {secretRef: {name: s}}]}]\nvolumes: [{name: v, configMap: {name: b}}]"
	reordered := "containers: [{name: c, envFrom: [{secretRef: {name: s}}]}]\nvolumes: [{name: v, configMap: {name: b}}, {name: w, configMap: {name: a}}]"
	objs := []string{configMap("a", "{x: '1'}"), configMap("b", "{y: '2'}"), secret("s", "{z: '3'}")}
	d1 := stamped(t, testKey, append([]string{deployment("web", spec)}, objs...)...)["web"]
	d2 := stamped(t, testKey, append([]string{deployment("web", reordered)}, objs[2], objs[1], objs[0])...)["web"]
	if d1 != d2 {
		t.Errorf("the digest depends on the order of references or objects: %s vs %s", d1, d2)
	}
	for i, changed := range []string{configMap("a", "{x: '9'}"), configMap("b", "{y: '9'}"), secret("s", "{z: '9'}")} {
		docs := append([]string{deployment("web", spec)}, objs...)
		docs[1+i] = changed
		if d := stamped(t, testKey, docs...)["web"]; d == d1 {
			t.Errorf("changing %s leaves the digest unchanged", strings.SplitN(changed, "\n", 4)[2])
		}
	}
}

func TestSecretDataDecodedAndStringDataMerged(t *testing.T) {
	spec := "containers: [{name: c, envFrom: [{secretRef: {name: s}}]}]"
	asData := "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {token: " + base64.StdEncoding.EncodeToString([]byte("hunter2")) + "}"
	a := stamped(t, testKey, deployment("web", spec), asData)["web"]
	b := stamped(t, testKey, deployment("web", spec), secret("s", "{token: hunter2}"))["web"]
	if a != b {
		t.Errorf("the same Secret as data and as stringData digests differently: %s vs %s", a, b)
	}
	merged := "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {token: " + base64.StdEncoding.EncodeToString([]byte("old")) + "}\nstringData: {token: hunter2}"
	if c := stamped(t, testKey, deployment("web", spec), merged)["web"]; c != b {
		t.Errorf("stringData does not win over data as the API server makes it: %s vs %s", c, b)
	}
}

func TestSecretsNeverInClear(t *testing.T) {
	spec := "containers: [{name: c, env: [{name: PIN, valueFrom: {secretKeyRef: {name: s, key: pin}}}]}]"
	pin := "4711"
	docs := []string{deployment("web", spec), secret("s", "{pin: '"+pin+"'}")}
	d := stamped(t, testKey, docs...)["web"]
	// Without the key, hashing candidate values as a plain hash would must
	// not find the PIN: a Secret's part of the digest is keyed.
	entries := consumed(map[string]string{"pin": pin}, []string{"pin"})
	if string(objectHash(kindSecret, entries, testKey)) == string(objectHash(kindConfigMap, entries, nil)) {
		t.Fatal("a Secret is hashed like a ConfigMap, without the key")
	}
	if other := stamped(t, Key("another key of thirty-two bytes!"), docs...)["web"]; other == d {
		t.Error("the Secret's digest does not depend on the key")
	}
	plain := sha256.Sum256([]byte(pin))
	for _, leak := range []string{pin, base64.StdEncoding.EncodeToString([]byte(pin)), hex.EncodeToString(plain[:])} {
		if strings.Contains(d, leak) {
			t.Errorf("digest %s contains %q", d, leak)
		}
	}
	objs := decode(t, docs...)
	err := Stamp(objs, nil)
	if err == nil || !strings.Contains(err.Error(), "no key") {
		t.Errorf("Stamp without a key over a Secret: %v, want an error", err)
	}
	if Of(objs[0].Obj) != "" {
		t.Error("a failed Stamp stamped a template")
	}
	for _, s := range []string{fmt.Sprint(testKey), fmt.Sprintf("%s %v %x %#v", testKey, testKey, testKey, testKey)} {
		if strings.Contains(s, string(testKey)) || strings.Contains(s, hex.EncodeToString(testKey)) {
			t.Errorf("the key is printed: %s", s)
		}
	}
}

func TestStampOptOutsAndKinds(t *testing.T) {
	job := workload("batch/v1", "Job", "migrate", envFromCM)
	cron := workload("batch/v1", "CronJob", "report", envFromCM)
	got := stamped(t, nil, deployment("web", envFromCM), deployment("reloader", envFromCM, OptOutAnnotation, "false"),
		workload("apps/v1", "StatefulSet", "db", envFromCM), workload("apps/v1", "DaemonSet", "agent", envFromCM),
		job, cron, deployment("plain", "containers: [{name: c, image: x}]"), configMap("cfg", "{a: '1'}"))
	for _, name := range []string{"web", "db", "agent"} {
		if got[name] == "" {
			t.Errorf("%s is not stamped", name)
		}
	}
	for _, name := range []string{"reloader", "migrate", "report", "plain"} {
		if got[name] != "" {
			t.Errorf("%s is stamped", name)
		}
	}
	none := stamped(t, nil, deployment("web", envFromCM), configMap("cfg", "{a: '1'}", OptOutAnnotation, "false"))
	if len(none) != 0 {
		t.Errorf("a ConfigMap opted out still digested: %v", none)
	}
}

func TestStampKeepsTheTemplatesAnnotations(t *testing.T) {
	objs := decode(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata: {annotations: {prometheus.io/scrape: 'true'}}\n    spec: {containers: [{name: c, envFrom: [{configMapRef: {name: cfg}}]}]}",
		configMap("cfg", "{a: '1'}"))
	if err := Stamp(objs, nil); err != nil {
		t.Fatal(err)
	}
	ann := objs[0].Obj.Object["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["annotations"].(map[string]any)
	if ann["prometheus.io/scrape"] != "true" || ann[Annotation] == nil || len(ann) != 2 {
		t.Errorf("template annotations %v", ann)
	}
}

func TestStampRefusesAnOptOutThatIsNotABoolean(t *testing.T) {
	objs := decode(t, deployment("web", envFromCM, OptOutAnnotation, "no"), configMap("cfg", "{a: '1'}", OptOutAnnotation, "False"))
	err := Stamp(objs, nil)
	var list manifest.ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("err = %v, want both objects named", err)
	}
	for i, want := range []string{`app.yaml:1: Deployment shop/web: annotation kship.dev/restart-on-config-change is "no": write "false"`, `app.yaml:9: ConfigMap shop/cfg`} {
		if !strings.HasPrefix(list[i].Error(), want) {
			t.Errorf("error %d: %s, want it to start with %s", i, list[i], want)
		}
	}
	if Of(objs[0].Obj) != "" {
		t.Error("refused, yet stamped")
	}
}

func TestChangedComparesWhatAUseReads(t *testing.T) {
	objs := decode(t, configMap("cfg", "{a: '1', b: '2'}"), configMap("cfg2", "{a: '1', b: '3'}"), secret("s", "{a: x}"), secret("s2", "{a: y}"))
	cm, cm2, s, s2 := objs[0].Obj, objs[1].Obj, objs[2].Obj, objs[3].Obj
	all, onlyA := Use{}, Use{Keys: []string{"a"}}
	for _, tc := range []struct {
		name     string
		u        Use
		old, new bool
		want     bool
	}{
		{"same object", all, true, true, false},
		{"every key read", all, true, false, true},
		{"only a read", onlyA, true, false, false},
	} {
		if got := Changed(tc.u, cm, pick(tc.new, cm, cm2)); got != tc.want {
			t.Errorf("%s: Changed = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !Changed(all, s, s2) || Changed(all, s, s) {
		t.Error("Secret values not compared")
	}
	if !Changed(all, nil, cm) || !Changed(all, cm, nil) {
		t.Error("an object that appears or disappears is a change")
	}
}

func pick[T any](first bool, a, b T) T {
	if first {
		return a
	}
	return b
}

func TestUnstampedComparesTwoRenderingsUnderDifferentKeys(t *testing.T) {
	spec := "containers: [{name: c, env: [{name: T, valueFrom: {secretKeyRef: {name: s, key: token}}}]}]"
	render := func(key Key) []manifest.Object {
		objs := decode(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata: {annotations: {prometheus.io/scrape: 'true'}}\n    spec: {"+spec+"}",
			secret("s", "{token: hunter2}"))
		if err := Stamp(objs, key); err != nil {
			t.Fatal(err)
		}
		return objs
	}
	a, b := render(testKey), render(Key("fedcba9876543210fedcba9876543210"))
	if Of(a[0].Obj) == Of(b[0].Obj) {
		t.Fatal("two keys gave one digest: the test shows nothing")
	}
	ua, ub := Unstamped(a[0].Obj), Unstamped(b[0].Obj)
	if fmt.Sprint(ua.Object) != fmt.Sprint(ub.Object) {
		t.Errorf("unstamped objects differ:\n%v\n%v", ua.Object, ub.Object)
	}
	if Of(ua) != "" || Of(a[0].Obj) == "" {
		t.Errorf("Unstamped left the digest (%q) or removed it from its input (%q)", Of(ua), Of(a[0].Obj))
	}
	if ann := ua.GetName(); ann != "web" {
		t.Errorf("name %q", ann)
	}
	tmpl := ua.Object["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["annotations"].(map[string]any)
	if len(tmpl) != 1 || tmpl["prometheus.io/scrape"] != "true" {
		t.Errorf("the template's own annotations: %v", tmpl)
	}
	if s := Unstamped(a[1].Obj); s != a[1].Obj {
		t.Error("an object without a digest is copied, want it as it is")
	}
}
