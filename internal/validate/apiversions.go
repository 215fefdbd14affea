package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/builtin"
)

// serverRelease is the newest Kubernetes release kship knows the APIs of:
// that of the API server package builtin's table was generated from.
var serverRelease = mustVersion(builtin.ServerRelease)

// apiVerdict is what the lifecycle of a built-in kind means for a target
// version: Pass (served, not deprecated), Warn or Fail, with the message.
func apiVerdict(gvk schema.GroupVersionKind, target kubeVersion) (Status, string) {
	k, ok := builtin.Lookup(gvk)
	if !ok {
		return Pass, ""
	}
	gv, l := gvk.GroupVersion().String(), k.Lifecycle
	introduced, deprecated, removed := fromBuiltin(l.Introduced), fromBuiltin(l.Deprecated), fromBuiltin(l.Removed)
	switch {
	case target.atLeast(removed):
		return Fail, fmt.Sprintf("%s %s was removed in Kubernetes %s (target %s)%s", gv, gvk.Kind, removed, target, use(k))
	case !k.Served && removed.isZero() && target.atLeast(serverRelease):
		return Fail, fmt.Sprintf("%s %s is not served by Kubernetes %s (target %s)%s", gv, gvk.Kind, serverRelease, target, use(k))
	case !k.Served && removed.isZero():
		return Warn, fmt.Sprintf("%s %s is not served by Kubernetes %s; whether %s serves it is not recorded%s", gv, gvk.Kind, serverRelease, target, use(k))
	case !introduced.isZero() && !target.atLeast(introduced):
		return Fail, fmt.Sprintf("%s %s was introduced in Kubernetes %s (target %s): the target does not serve it", gv, gvk.Kind, introduced, target)
	case target.atLeast(deprecated):
		return Warn, fmt.Sprintf("%s %s is deprecated since Kubernetes %s%s%s", gv, gvk.Kind, deprecated, removalNote(removed), use(k))
	}
	return Pass, ""
}

func fromBuiltin(v builtin.Version) kubeVersion { return kubeVersion{v.Major, v.Minor} }

func use(k *builtin.Kind) string {
	if r := k.Replacement(); r != "" {
		return ": use " + r
	}
	return ""
}

func removalNote(removed kubeVersion) string {
	if removed.isZero() {
		return ""
	}
	return fmt.Sprintf(" and removed in %s", removed)
}

// checkAPIVersions fails objects whose API version the target version does
// not serve (removed, not yet introduced, or not served at all by the
// newest release kship knows) and warns about deprecated ones, each with
// its replacement. The lifecycle is k8s.io/api's own (package builtin).
func (r *run) checkAPIVersions() {
	start := len(r.report.Checks)
	for i := range r.objs {
		o := &r.objs[i]
		if st, msg := apiVerdict(o.gvk, r.version); st != Pass {
			r.add(IDAPIVersion, st, o, keys("apiVersion"), r.versionNote+"; API lifecycle of k8s.io/api "+builtin.GeneratedFrom, "%s", msg)
		}
	}
	r.checkCRDSourceVersions()
	r.summarize(IDAPIVersion, start, "%s checked against the APIs removed or deprecated by Kubernetes %s (%s; API lifecycle of k8s.io/api %s)",
		plural(len(r.objs), "object"), r.version, r.versionNote, builtin.GeneratedFrom)
}
