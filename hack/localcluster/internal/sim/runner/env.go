package runner

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/kubernetes/pkg/fieldpath"
	"k8s.io/kubernetes/third_party/forked/golang/expansion"
)

// Sources holds the ConfigMaps and Secrets (of the pod's namespace, by name)
// that a container's environment refers to. A name missing from the maps
// does not exist in the cluster.
type Sources struct {
	ConfigMaps map[string]*corev1.ConfigMap
	Secrets    map[string]*corev1.Secret
}

// Refs lists the names of the ConfigMaps and Secrets that the container's
// env and envFrom refer to, each once, in order of first reference.
func Refs(c *corev1.Container) (configMaps, secrets []string) {
	add := func(list []string, name string) []string {
		if name == "" || slices.Contains(list, name) {
			return list
		}
		return append(list, name)
	}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef != nil {
			configMaps = add(configMaps, from.ConfigMapRef.Name)
		}
		if from.SecretRef != nil {
			secrets = add(secrets, from.SecretRef.Name)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
			configMaps = add(configMaps, r.Name)
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil {
			secrets = add(secrets, r.Name)
		}
	}
	return configMaps, secrets
}

// Env resolves the container's environment the way the kubelet does at
// container start: envFrom first (later sources win), then env (which wins
// over envFrom), with $(VAR) references expanded and optional references
// respected. POD_NAME, POD_NAMESPACE and POD_IP are set unless the container
// sets them itself. The result is a map of name to value.
func Env(pod *corev1.Pod, c *corev1.Container, src Sources) (map[string]string, error) {
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		if err := addEnvFrom(env, from, src); err != nil {
			return nil, fmt.Errorf("container %s: %w", c.Name, err)
		}
	}
	for _, e := range c.Env {
		value, ok, err := envValue(pod, e, env, src)
		if err != nil {
			return nil, fmt.Errorf("container %s: env %s: %w", c.Name, e.Name, err)
		}
		if ok {
			env[e.Name] = value
		}
	}
	for name, value := range map[string]string{
		"POD_NAME": pod.Name, "POD_NAMESPACE": pod.Namespace, "POD_IP": pod.Status.PodIP,
	} {
		if _, set := env[name]; !set {
			env[name] = value
		}
	}
	return env, nil
}

// addEnvFrom adds every key of one envFrom source, with its prefix; keys
// that are not valid variable names are skipped, as the kubelet does (since Kubernetes 1.34 nearly every
// printable name is valid).
func addEnvFrom(env map[string]string, from corev1.EnvFromSource, src Sources) error {
	data := map[string]string{}
	switch {
	case from.ConfigMapRef != nil:
		cm, ok := src.ConfigMaps[from.ConfigMapRef.Name]
		if !ok {
			if isTrue(from.ConfigMapRef.Optional) {
				return nil
			}
			return fmt.Errorf("envFrom: ConfigMap %q not found", from.ConfigMapRef.Name)
		}
		data = cm.Data
	case from.SecretRef != nil:
		s, ok := src.Secrets[from.SecretRef.Name]
		if !ok {
			if isTrue(from.SecretRef.Optional) {
				return nil
			}
			return fmt.Errorf("envFrom: Secret %q not found", from.SecretRef.Name)
		}
		for k, v := range s.Data {
			data[k] = string(v)
		}
	}
	for k, v := range data {
		name := from.Prefix + k
		if len(validation.IsEnvVarName(name)) == 0 {
			env[name] = v
		}
	}
	return nil
}

// envValue resolves one env entry; ok is false when an optional reference
// is missing and the variable is left unset.
func envValue(pod *corev1.Pod, e corev1.EnvVar, env map[string]string, src Sources) (string, bool, error) {
	from := e.ValueFrom
	switch {
	case from == nil:
		return expansion.Expand(e.Value, expansion.MappingFuncFor(env)), true, nil
	case from.ConfigMapKeyRef != nil:
		r := from.ConfigMapKeyRef
		var data map[string]string
		cm, found := src.ConfigMaps[r.Name]
		if found {
			data = cm.Data
		}
		return keyValue("ConfigMap", r.Name, r.Key, found, data, r.Optional)
	case from.SecretKeyRef != nil:
		r := from.SecretKeyRef
		s, found := src.Secrets[r.Name]
		data := map[string]string{}
		if found {
			for k, v := range s.Data {
				data[k] = string(v)
			}
		}
		return keyValue("Secret", r.Name, r.Key, found, data, r.Optional)
	case from.FieldRef != nil:
		v, err := podField(pod, from.FieldRef.FieldPath)
		return v, err == nil, err
	default: // resourceFieldRef: the simulated pods have no resource accounting
		return "", false, nil
	}
}

// keyValue picks one key of a ConfigMap's or Secret's data, honouring
// optional.
func keyValue(kind, name, key string, found bool, data map[string]string, optional *bool) (string, bool, error) {
	if !found {
		if isTrue(optional) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("%s %q not found", kind, name)
	}
	v, ok := data[key]
	if !ok {
		if isTrue(optional) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("%s %q has no key %q", kind, name, key)
	}
	return v, true, nil
}

// podField resolves a downward-API fieldRef.
func podField(pod *corev1.Pod, path string) (string, error) {
	switch path {
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP":
		return pod.Status.HostIP, nil
	case "status.podIP", "status.podIPs":
		return pod.Status.PodIP, nil
	}
	v, err := fieldpath.ExtractFieldPathAsString(pod, path)
	if err != nil {
		return "", fmt.Errorf("fieldRef %q: %w", path, err)
	}
	return v, nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// envList turns an environment map into NAME=value entries, sorted by name.
func envList(env map[string]string) []string {
	list := make([]string, 0, len(env))
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	slices.Sort(list)
	return list
}
