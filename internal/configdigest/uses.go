package configdigest

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/manifest"
)

// Use is one way a workload's pod template consumes a ConfigMap or Secret.
type Use struct {
	Workload manifest.Ref
	Config   manifest.Ref
	// How names the consumer in the template: "envFrom", "env API_KEY",
	// "volume config", "projected volume certs".
	How string
	// Keys are the keys it reads; nil reads every key.
	Keys []string
}

// Stamped reports whether Stamp stamps objects of u's kind: Deployments,
// StatefulSets and DaemonSets (apps), the workloads whose pods a template
// change replaces.
func Stamped(u *unstructured.Unstructured) bool {
	if u == nil {
		return false
	}
	gvk := u.GroupVersionKind()
	if gvk.Group != "apps" {
		return false
	}
	switch gvk.Kind {
	case "Deployment", "StatefulSet", "DaemonSet":
		return true
	}
	return false
}

// Uses lists what Stamp digests: every use, by the stamped workloads of
// objs that do not opt out, of a ConfigMap or Secret of objs (in the
// workload's namespace) that does not opt out. They are in the order of
// the workloads in objs, then of the references in each template; a use
// repeated (two containers with the same envFrom) is listed once.
func Uses(objs []manifest.Object) []Use {
	var out []Use
	for _, w := range byWorkload(objs, bundleConfigs(objs)) {
		out = append(out, w.uses...)
	}
	return out
}

// workloadUses are the uses of one workload.
type workloadUses struct {
	obj  manifest.Object
	uses []Use
}

// byWorkload returns, per stamped workload that consumes something of
// configs, its uses, in the order of objs.
func byWorkload(objs []manifest.Object, configs map[manifest.Ref]*unstructured.Unstructured) []workloadUses {
	var out []workloadUses
	for _, o := range objs {
		if !Stamped(o.Obj) || OptedOut(o.Obj) {
			continue
		}
		spec, _, _ := unstructured.NestedMap(o.Obj.Object, "spec", "template", "spec")
		w := o.Ref()
		var mine []Use
		for _, u := range templateUses(spec) {
			u.Workload = w
			u.Config.Namespace = w.Namespace
			if _, ok := configs[u.Config]; !ok || slices.ContainsFunc(mine, u.equal) {
				continue
			}
			mine = append(mine, u)
		}
		if len(mine) > 0 {
			out = append(out, workloadUses{obj: o, uses: mine})
		}
	}
	return out
}

func (u Use) equal(v Use) bool {
	return u.Workload == v.Workload && u.Config == v.Config && u.How == v.How && slices.Equal(u.Keys, v.Keys)
}

// bundleConfigs indexes the ConfigMaps and Secrets of objs that do not opt
// out.
func bundleConfigs(objs []manifest.Object) map[manifest.Ref]*unstructured.Unstructured {
	out := map[manifest.Ref]*unstructured.Unstructured{}
	for _, o := range objs {
		if isConfig(o.Obj) && !OptedOut(o.Obj) {
			out[o.Ref()] = o.Obj
		}
	}
	return out
}

func isConfig(u *unstructured.Unstructured) bool {
	gvk := u.GroupVersionKind()
	return gvk.Group == "" && (gvk.Kind == kindConfigMap || gvk.Kind == kindSecret)
}

const (
	kindConfigMap = "ConfigMap"
	kindSecret    = "Secret"
)

// templateUses lists the ConfigMap and Secret references of a pod spec
// (Workload and the namespace left for the caller to fill).
func templateUses(spec map[string]any) []Use {
	var out []Use
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range maps(spec[list]) {
			out = append(out, containerUses(c)...)
		}
	}
	for _, v := range maps(spec["volumes"]) {
		out = append(out, volumeUses(v)...)
	}
	return out
}

func containerUses(c map[string]any) []Use {
	var out []Use
	for _, e := range maps(c["envFrom"]) {
		if ref, ok := e["configMapRef"].(map[string]any); ok {
			out = append(out, use(kindConfigMap, ref["name"], "envFrom", nil))
		}
		if ref, ok := e["secretRef"].(map[string]any); ok {
			out = append(out, use(kindSecret, ref["name"], "envFrom", nil))
		}
	}
	for _, e := range maps(c["env"]) {
		from, _ := e["valueFrom"].(map[string]any)
		how := fmt.Sprintf("env %v", e["name"])
		if ref, ok := from["configMapKeyRef"].(map[string]any); ok {
			out = append(out, use(kindConfigMap, ref["name"], how, []string{str(ref["key"])}))
		}
		if ref, ok := from["secretKeyRef"].(map[string]any); ok {
			out = append(out, use(kindSecret, ref["name"], how, []string{str(ref["key"])}))
		}
	}
	return out
}

func volumeUses(v map[string]any) []Use {
	var out []Use
	how := fmt.Sprintf("volume %v", v["name"])
	if src, ok := v["configMap"].(map[string]any); ok {
		out = append(out, use(kindConfigMap, src["name"], how, itemKeys(src)))
	}
	if src, ok := v["secret"].(map[string]any); ok {
		out = append(out, use(kindSecret, src["secretName"], how, itemKeys(src)))
	}
	proj, _ := v["projected"].(map[string]any)
	for _, s := range maps(proj["sources"]) {
		how := fmt.Sprintf("projected volume %v", v["name"])
		if src, ok := s["configMap"].(map[string]any); ok {
			out = append(out, use(kindConfigMap, src["name"], how, itemKeys(src)))
		}
		if src, ok := s["secret"].(map[string]any); ok {
			out = append(out, use(kindSecret, src["name"], how, itemKeys(src)))
		}
	}
	return out
}

func use(kind string, name any, how string, keys []string) Use {
	return Use{Config: manifest.Ref{Kind: kind, Name: str(name)}, How: how, Keys: keys}
}

// itemKeys returns the keys a volume's items project; nil (every key)
// when it lists none.
func itemKeys(src map[string]any) []string {
	var keys []string
	for _, it := range maps(src["items"]) {
		keys = append(keys, str(it["key"]))
	}
	return keys
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// maps returns the elements of a list value that are objects.
func maps(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, item := range l {
		if m, ok := item.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
