package validate

import (
	"context"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// checkHygiene warns (never fails) about workloads likely to hurt in
// production: no resource requests, no readiness probe, a :latest or
// untagged image, a single replica, several replicas and no
// PodDisruptionBudget.
func (r *run) checkHygiene(ctx context.Context) {
	start := len(r.report.Checks)
	r.evidence = "pod templates of the bundle; PodDisruptionBudgets of the bundle"
	if r.cluster != nil {
		r.evidence += " and of the live namespaces"
	}
	defer func() { r.evidence = "" }()
	pdbs := r.bundlePDBs()
	scaled := r.autoscaled()
	workloads := 0
	for i := range r.objs {
		o := &r.objs[i]
		path := podSpecPath(o.ref.Group, o.ref.Kind)
		if path == nil || o.removed || o.ref.Kind == "PodTemplate" {
			continue // not a workload (nested would return the whole object)
		}
		spec := nested(o.Obj.Object, path)
		if spec == nil {
			continue
		}
		workloads++
		longRunning := o.ref.Kind != "Job" && o.ref.Kind != "CronJob"
		r.containerHygiene(o, spec, path, longRunning)
		if replicated(o.ref.Group, o.ref.Kind) {
			r.replicaHygiene(ctx, o, pdbs, scaled[refKey{o.ref.Kind, o.ns, o.ref.Name}])
		}
	}
	r.summarize(IDHygiene, start, "%s checked for requests, readiness probes, image tags, replicas and disruption budgets",
		plural(workloads, "workload"))
}

func replicated(group, kind string) bool {
	return group == "apps" && (kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet")
}

// containerHygiene checks images of all containers, and requests and
// readiness probes of the main containers.
func (r *run) containerHygiene(o *object, spec map[string]any, path fieldPath, longRunning bool) {
	for _, list := range []string{"initContainers", "containers"} {
		for i, c := range maps(spec[list]) {
			name, _ := c["name"].(string)
			cp := path.with(list, 0).with("", i)
			image, _ := c["image"].(string)
			if why := imageTagProblem(image); why != "" {
				r.warn(IDHygiene, o, cp.with("image", 0), "%s %q: image %q %s: pin a version tag or digest", containerWord(list), name, image, why)
			}
			if list != "containers" {
				continue
			}
			res := nested(c, keys("resources"))
			req, _ := res["requests"].(map[string]any)
			lim, _ := res["limits"].(map[string]any) // requests default to limits
			if len(req) == 0 && len(lim) == 0 {
				r.warn(IDHygiene, o, cp, "container %q has no resource requests: the scheduler cannot place it reliably", name)
			}
			if _, ok := c["readinessProbe"]; !ok && longRunning {
				r.warn(IDHygiene, o, cp, "container %q has no readiness probe: it receives traffic before it is ready", name)
			}
		}
	}
}

// imageTagProblem says what is wrong with an image's tag, if anything.
func imageTagProblem(image string) string {
	if image == "" || strings.Contains(image, "@") {
		return ""
	}
	last := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	switch {
	case !ok:
		return "has no tag (it means :latest)"
	case tag == "latest":
		return "uses :latest"
	}
	return ""
}

// replicaHygiene warns about a single replica, and about several replicas
// with no PodDisruptionBudget selecting their pods.
func (r *run) replicaHygiene(ctx context.Context, o *object, pdbs []bundlePDB, autoscaled bool) {
	replicas, set, _ := unstructuredInt(o.Obj.Object, "spec", "replicas")
	if !set {
		replicas = 1
	}
	if autoscaled {
		return
	}
	if replicas == 1 {
		r.warn(IDHygiene, o, keys("spec", "replicas"), "a single replica: any restart or node drain is an outage")
		return
	}
	if replicas < 2 {
		return
	}
	podLabels := labels.Set(stringMap(nested(o.Obj.Object, keys("spec", "template", "metadata"))["labels"]))
	for _, p := range pdbs {
		if p.ns == o.ns && p.sel.Matches(podLabels) {
			return
		}
	}
	if r.cluster != nil {
		live := r.cluster.pdbSelectors(ctx, o.ns)
		for _, sel := range live.selectors {
			if sel.Matches(podLabels) {
				return
			}
		}
	}
	r.warn(IDHygiene, o, keys("spec", "replicas"), "%d replicas and no PodDisruptionBudget selects their pods: a drain may evict them all at once", replicas)
}

// bundlePDB is a PodDisruptionBudget of the bundle.
type bundlePDB struct {
	ns  string
	sel labels.Selector
}

func (r *run) bundlePDBs() []bundlePDB {
	var out []bundlePDB
	for i := range r.objs {
		o := &r.objs[i]
		if o.ref.Group != "policy" || o.ref.Kind != "PodDisruptionBudget" {
			continue
		}
		m := nested(o.Obj.Object, keys("spec", "selector"))
		if m == nil {
			continue
		}
		ls := &metav1.LabelSelector{}
		if runtime.DefaultUnstructuredConverter.FromUnstructured(m, ls) != nil {
			continue
		}
		if sel, err := metav1.LabelSelectorAsSelector(ls); err == nil {
			out = append(out, bundlePDB{ns: o.ns, sel: sel})
		}
	}
	return out
}

// autoscaled returns the workloads a HorizontalPodAutoscaler of the bundle
// scales (their replica count is not fixed).
func (r *run) autoscaled() map[refKey]bool {
	out := map[refKey]bool{}
	for i := range r.objs {
		o := &r.objs[i]
		if o.ref.Group != "autoscaling" || o.ref.Kind != "HorizontalPodAutoscaler" {
			continue
		}
		t := nested(o.Obj.Object, keys("spec", "scaleTargetRef"))
		kind, _ := t["kind"].(string)
		name, _ := t["name"].(string)
		out[refKey{kind, o.ns, name}] = true
	}
	return out
}

func unstructuredInt(obj map[string]any, path ...string) (int64, bool, bool) {
	m := nested(obj, keys(path[:len(path)-1]...))
	v, ok := m[path[len(path)-1]]
	if !ok || v == nil {
		return 0, false, true
	}
	switch n := v.(type) {
	case int64:
		return n, true, true
	case int:
		return int64(n), true, true
	case float64:
		return int64(n), true, true
	}
	return 0, true, false
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := make(map[string]string, len(m))
	for k, val := range m {
		if s, ok := val.(string); ok {
			out[k] = s
		}
	}
	return out
}
