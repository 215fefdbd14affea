package validate

import (
	"fmt"
)

// Kinds a pod template refers to.
const (
	kindSecret         = "Secret"
	kindConfigMap      = "ConfigMap"
	kindServiceAccount = "ServiceAccount"
	kindPVC            = "PersistentVolumeClaim"
)

// podRef is one reference of a pod template to another object.
type podRef struct {
	kind     string
	name     string
	key      string // "" when the whole object is referenced
	optional bool
	// where says what refers, for messages: `container "web" env API_KEY`.
	where string
	path  fieldPath
}

// podSpecPath returns the path of the pod spec in objects that have one.
func podSpecPath(group, kind string) fieldPath {
	switch {
	case group == "" && kind == "Pod":
		return keys("spec")
	case group == "" && kind == "PodTemplate":
		return keys("template", "spec")
	case group == "" && kind == "ReplicationController",
		group == "apps" && (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet"),
		group == "batch" && kind == "Job":
		return keys("spec", "template", "spec")
	case group == "batch" && kind == "CronJob":
		return keys("spec", "jobTemplate", "spec", "template", "spec")
	}
	return nil
}

// nested returns the map at path, or nil.
func nested(obj map[string]any, path fieldPath) map[string]any {
	cur := obj
	for _, e := range path {
		next, ok := cur[e.key].(map[string]any)
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

// podRefs lists every reference of the pod spec at path.
func podRefs(spec map[string]any, path fieldPath) []podRef {
	var refs []podRef
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for i, c := range maps(spec[list]) {
			name, _ := c["name"].(string)
			refs = append(refs, containerRefs(c, fmt.Sprintf("%s %q", containerWord(list), name), path.with(list, 0).with("", i))...)
		}
	}
	for i, v := range maps(spec["volumes"]) {
		refs = append(refs, volumeRefs(v, path.with("volumes", 0).with("", i))...)
	}
	for i, s := range maps(spec["imagePullSecrets"]) {
		name, _ := s["name"].(string)
		p := path.with("imagePullSecrets", 0).with("", i)
		refs = append(refs, podRef{kind: kindSecret, name: name, where: "imagePullSecrets", path: p})
	}
	sa, _ := spec["serviceAccountName"].(string)
	saField := "serviceAccountName"
	if sa == "" {
		sa, _ = spec["serviceAccount"].(string)
		saField = "serviceAccount"
	}
	if sa != "" && sa != "default" {
		refs = append(refs, podRef{kind: kindServiceAccount, name: sa, where: saField, path: path.with(saField, 0)})
	}
	return refs
}

func containerWord(list string) string {
	switch list {
	case "initContainers":
		return "init container"
	case "ephemeralContainers":
		return "ephemeral container"
	}
	return "container"
}

// containerRefs lists the env and envFrom references of one container.
func containerRefs(c map[string]any, who string, path fieldPath) []podRef {
	var refs []podRef
	for j, e := range maps(c["env"]) {
		from, _ := e["valueFrom"].(map[string]any)
		envName, _ := e["name"].(string)
		for _, src := range []struct{ field, kind string }{{"secretKeyRef", kindSecret}, {"configMapKeyRef", kindConfigMap}} {
			sel, ok := from[src.field].(map[string]any)
			if !ok {
				continue
			}
			refs = append(refs, selectorRef(sel, src.kind, "name", fmt.Sprintf("%s env %s", who, envName),
				path.with("env", 0).with("", j).with("valueFrom", 0).with(src.field, 0)))
		}
	}
	for j, e := range maps(c["envFrom"]) {
		for _, src := range []struct{ field, kind string }{{"secretRef", kindSecret}, {"configMapRef", kindConfigMap}} {
			sel, ok := e[src.field].(map[string]any)
			if !ok {
				continue
			}
			refs = append(refs, selectorRef(sel, src.kind, "name", who+" envFrom",
				path.with("envFrom", 0).with("", j).with(src.field, 0)))
		}
	}
	return refs
}

// selectorRef reads {name, key, optional} of a reference.
func selectorRef(sel map[string]any, kind, nameField, where string, path fieldPath) podRef {
	name, _ := sel[nameField].(string)
	key, _ := sel["key"].(string)
	opt, _ := sel["optional"].(bool)
	return podRef{kind: kind, name: name, key: key, optional: opt, where: where, path: path}
}

// volumeRefs lists the references of one volume, one per item key.
func volumeRefs(v map[string]any, path fieldPath) []podRef {
	vname, _ := v["name"].(string)
	who := fmt.Sprintf("volume %q", vname)
	var refs []podRef
	if cm, ok := v["configMap"].(map[string]any); ok {
		refs = append(refs, itemRefs(cm, kindConfigMap, "name", who, path.with("configMap", 0))...)
	}
	if s, ok := v["secret"].(map[string]any); ok {
		refs = append(refs, itemRefs(s, kindSecret, "secretName", who, path.with("secret", 0))...)
	}
	if pvc, ok := v["persistentVolumeClaim"].(map[string]any); ok {
		claim, _ := pvc["claimName"].(string)
		refs = append(refs, podRef{kind: kindPVC, name: claim, where: who, path: path.with("persistentVolumeClaim", 0).with("claimName", 0)})
	}
	if pr, ok := v["projected"].(map[string]any); ok {
		for k, src := range maps(pr["sources"]) {
			p := path.with("projected", 0).with("sources", 0).with("", k)
			if cm, ok := src["configMap"].(map[string]any); ok {
				refs = append(refs, itemRefs(cm, kindConfigMap, "name", who+" (projected)", p.with("configMap", 0))...)
			}
			if s, ok := src["secret"].(map[string]any); ok {
				refs = append(refs, itemRefs(s, kindSecret, "name", who+" (projected)", p.with("secret", 0))...)
			}
		}
	}
	return refs
}

// itemRefs returns the object reference of a configMap/secret volume and
// one key reference per items[].key.
func itemRefs(src map[string]any, kind, nameField, who string, path fieldPath) []podRef {
	base := selectorRef(src, kind, nameField, who, path)
	base.key = ""
	refs := []podRef{base}
	for i, it := range maps(src["items"]) {
		key, _ := it["key"].(string)
		r := base
		r.key, r.path = key, path.with("items", 0).with("", i).with("key", 0)
		refs = append(refs, r)
	}
	return refs
}

// maps returns the elements of a list value as objects, index for index
// (nil for an element that is not an object; reading a nil map is safe).
func maps(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, len(l))
	for i, item := range l {
		out[i], _ = item.(map[string]any)
	}
	return out
}
