package rollout

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/manifest"
)

// IsDeployment says whether o is an apps Deployment.
func IsDeployment(o manifest.Object) bool {
	gvk := o.GVK()
	return gvk.Group == "apps" && gvk.Kind == "Deployment"
}

// Deployments are the Deployments among objs.
func Deployments(objs []manifest.Object) []manifest.Object {
	var out []manifest.Object
	for _, o := range objs {
		if IsDeployment(o) {
			out = append(out, o)
		}
	}
	return out
}

// OneDeployment is the one Deployment of objs a strategy works on, or the
// finding that refuses a release without exactly one; rule says what the
// strategy needs ("a canary release has exactly one Deployment (the one
// that gets a canary)").
func OneDeployment(objs []manifest.Object, rule string) (manifest.Object, []Finding) {
	ds := Deployments(objs)
	if len(ds) == 1 {
		return ds[0], nil
	}
	msg := rule + "; this release has none"
	if len(ds) > 1 {
		var names []string
		for _, d := range ds {
			names = append(names, d.Ref().String())
		}
		msg = fmt.Sprintf("%s; this release has %d: %s; release the others separately, or use RollingUpdate", rule, len(ds), strings.Join(names, ", "))
	}
	return manifest.Object{}, []Finding{{Message: msg}}
}
