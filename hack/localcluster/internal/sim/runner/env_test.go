package runner

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// container parses a container spec written as YAML.
func container(t *testing.T, y string) *corev1.Container {
	t.Helper()
	var c corev1.Container
	if err := yaml.UnmarshalStrict([]byte(y), &c); err != nil {
		t.Fatalf("container YAML: %v", err)
	}
	return &c
}

func testPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: "kwok-node-0"},
		Status:     corev1.PodStatus{PodIP: "127.10.0.4"},
	}
}

func testSources() Sources {
	return Sources{
		ConfigMaps: map[string]*corev1.ConfigMap{
			"web-config": {Data: map[string]string{"DEMO_VERSION": "v3", "GREETING": "hello", "bad-key": "x"}},
			"extra":      {Data: map[string]string{"GREETING": "from extra"}},
		},
		Secrets: map[string]*corev1.Secret{
			"web-secret": {Data: map[string][]byte{"token": []byte("s3cret")}},
		},
	}
}

func TestEnvResolves(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		want map[string]string // entries that must be present
		not  []string          // names that must be absent
	}{
		"literal and pod vars": {
			yaml: "name: app\nenv: [{name: DEMO_VERSION, value: v1}]",
			want: map[string]string{"DEMO_VERSION": "v1", "POD_NAME": "web-1", "POD_NAMESPACE": "shop", "POD_IP": "127.10.0.4"},
		},
		"configMapKeyRef": {
			yaml: "name: app\nenv: [{name: DEMO_VERSION, valueFrom: {configMapKeyRef: {name: web-config, key: DEMO_VERSION}}}]",
			want: map[string]string{"DEMO_VERSION": "v3"},
		},
		"secretKeyRef": {
			yaml: "name: app\nenv: [{name: TOKEN, valueFrom: {secretKeyRef: {name: web-secret, key: token}}}]",
			want: map[string]string{"TOKEN": "s3cret"},
		},
		"envFrom with prefix, later source wins, relaxed names (k8s 1.37)": {
			yaml: "name: app\nenvFrom: [{configMapRef: {name: web-config}}, {configMapRef: {name: extra}}, {prefix: S_, secretRef: {name: web-secret}}]",
			want: map[string]string{"DEMO_VERSION": "v3", "GREETING": "from extra", "S_token": "s3cret", "bad-key": "x"},
		},
		"env wins over envFrom and expands references": {
			yaml: "name: app\nenvFrom: [{configMapRef: {name: web-config}}]\nenv: [{name: DEMO_VERSION, value: v9}, {name: MSG, value: '$(GREETING) from $(POD_NAME_X)'}]",
			want: map[string]string{"DEMO_VERSION": "v9", "MSG": "hello from $(POD_NAME_X)"},
		},
		"fieldRef": {
			yaml: "name: app\nenv: [{name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}, {name: APP, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}}, {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}]",
			want: map[string]string{"NODE": "kwok-node-0", "APP": "web", "POD_NAME": "shop"},
		},
		"optional missing references are left unset": {
			yaml: "name: app\nenvFrom: [{configMapRef: {name: nope, optional: true}}]\nenv: [{name: A, valueFrom: {configMapKeyRef: {name: nope, key: k, optional: true}}}, {name: B, valueFrom: {secretKeyRef: {name: web-secret, key: nokey, optional: true}}}]",
			not:  []string{"A", "B"},
		},
	} {
		env, err := Env(testPod(), container(t, tc.yaml), testSources())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for k, v := range tc.want {
			if env[k] != v {
				t.Errorf("%s: %s=%q, want %q (env %v)", name, k, env[k], v, env)
			}
		}
		for _, k := range tc.not {
			if _, ok := env[k]; ok {
				t.Errorf("%s: %s is set, want unset", name, k)
			}
		}
	}
}

func TestEnvMissingReferenceFails(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"configmap": {"name: app\nenv: [{name: A, valueFrom: {configMapKeyRef: {name: nope, key: k}}}]", `ConfigMap "nope" not found`},
		"key":       {"name: app\nenv: [{name: A, valueFrom: {configMapKeyRef: {name: web-config, key: k}}}]", `has no key "k"`},
		"secret":    {"name: app\nenvFrom: [{secretRef: {name: nope}}]", `Secret "nope" not found`},
		"field":     {"name: app\nenv: [{name: A, valueFrom: {fieldRef: {fieldPath: spec.bogus}}}]", "fieldRef"},
	} {
		_, err := Env(testPod(), container(t, tc.yaml), testSources())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "container app") {
			t.Errorf("%s: err = %v, want one naming the container and %q", name, err, tc.want)
		}
	}
}

func TestRefs(t *testing.T) {
	c := container(t, `name: app
envFrom: [{configMapRef: {name: a}}, {secretRef: {name: s}}]
env:
- {name: X, valueFrom: {configMapKeyRef: {name: b, key: k}}}
- {name: Y, valueFrom: {configMapKeyRef: {name: a, key: k}}}
- {name: Z, valueFrom: {secretKeyRef: {name: t, key: k}}}
- {name: L, value: literal}`)
	cms, secrets := Refs(c)
	if !slices.Equal(cms, []string{"a", "b"}) || !slices.Equal(secrets, []string{"s", "t"}) {
		t.Fatalf("Refs = %v, %v", cms, secrets)
	}
}

func TestEnvList(t *testing.T) {
	got := envList(map[string]string{"B": "2", "A": "1=1"})
	if !slices.Equal(got, []string{"A=1=1", "B=2"}) {
		t.Fatalf("envList = %v", got)
	}
}
