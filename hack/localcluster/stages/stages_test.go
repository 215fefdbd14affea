package stages

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"text/template"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// stage is the part of a KWOK Stage these tests read.
type stage struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Next struct {
			StatusTemplate string `json:"statusTemplate"`
		} `json:"next"`
	} `json:"spec"`
}

func loadStages(t *testing.T) map[string]stage {
	t.Helper()
	data, err := Config()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]stage{}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var s stage
		if err := yaml.Unmarshal([]byte(doc), &s); err != nil {
			t.Fatalf("parse stage: %v\n%s", err, doc)
		}
		if s.Kind == "" {
			continue
		}
		if s.Kind != "Stage" || s.Metadata.Name == "" {
			t.Fatalf("document is not a named Stage: %+v", s)
		}
		if _, dup := out[s.Metadata.Name]; dup {
			t.Fatalf("stage %s defined twice", s.Metadata.Name)
		}
		out[s.Metadata.Name] = s
	}
	return out
}

// funcs stands in for KWOK's template functions (sprig's add1, KWOK's Quote,
// Now and the IP allocators).
var funcs = template.FuncMap{
	"Now":        func() string { return "2026-01-01T00:00:00Z" },
	"Quote":      func(v any) string { b, _ := json.Marshal(v); return string(b) },
	"NodeIPWith": func(string) string { return "127.0.0.1" },
	"PodIPWith":  func(string, bool, string, string, string) string { return "127.10.0.7" },
	"add1": func(v any) int64 {
		switch n := v.(type) {
		case json.Number:
			i, _ := n.Int64()
			return i + 1
		case int:
			return int64(n) + 1
		}
		return -1
	},
}

// render runs a stage's status template over pod the way KWOK does
// (object → JSON with json.Number → template → YAML) and returns the status.
func render(t *testing.T, s stage, pod *corev1.Pod) corev1.PodStatus {
	t.Helper()
	raw, _ := json.Marshal(pod)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var data any
	if err := dec.Decode(&data); err != nil {
		t.Fatal(err)
	}
	tpl, err := template.New(s.Metadata.Name).Funcs(funcs).Parse(s.Spec.Next.StatusTemplate)
	if err != nil {
		t.Fatalf("stage %s: parse template: %v", s.Metadata.Name, err)
	}
	var out bytes.Buffer
	if err := tpl.Execute(&out, data); err != nil {
		t.Fatalf("stage %s: render: %v", s.Metadata.Name, err)
	}
	var st corev1.PodStatus
	if err := yaml.UnmarshalStrict(out.Bytes(), &st); err != nil {
		t.Fatalf("stage %s: rendered status is not a PodStatus: %v\n%s", s.Metadata.Name, err, out.String())
	}
	return st
}

// pod returns a scheduled pod with one container, the given behaviour label
// and status.
func pod(behavior string, status corev1.PodStatus) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", UID: "u1", Labels: map[string]string{}},
		Spec: corev1.PodSpec{NodeName: "kwok-node-1", RestartPolicy: corev1.RestartPolicyAlways,
			Containers: []corev1.Container{{Name: "app", Image: "demo:1"}}},
		Status: status,
	}
	if behavior != "" {
		p.Labels[BehaviorLabel] = behavior
	}
	return p
}

func running(restarts int32) corev1.PodStatus {
	return corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "app", RestartCount: restarts,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
	}}}
}
