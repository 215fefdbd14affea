package validate

import (
	"context"
	"fmt"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/builtin"
)

var objectMeta = reflect.TypeOf(metav1.ObjectMeta{})

// checkSchemas validates every object strictly: built-in kinds against the
// API's typed structs, custom resources against their CRD's schema.
func (r *run) checkSchemas(ctx context.Context) {
	start := len(r.report.Checks)
	crds := r.bundleCRDs()
	var builtins, custom int
	for i := range r.objs {
		o := &r.objs[i]
		gvk := o.gvk
		if o.removed {
			continue // reported by the API-version check alone
		}
		if t := builtin.Type(gvk); t != nil {
			if k, ok := builtin.Lookup(gvk); ok && k.NotApplicable() != "" {
				r.add(IDSchema, Fail, o, keys("kind"), "the resources and verbs the API server of Kubernetes "+builtin.ServerRelease+" serves", "%s", k.NotApplicable())
				continue
			}
			builtins++
			r.validateBuiltin(o, t)
			continue
		}
		if msg := builtin.NotAnObject(gvk); msg != "" {
			r.add(IDSchema, Fail, o, keys("kind"), "the kinds of k8s.io/api "+builtin.GeneratedFrom+" and of kube-apiserver's configuration and webhook types", "%s", msg)
			continue
		}
		r.evidence = ""
		if r.validateCustom(ctx, o, crds) {
			custom++
		}
	}
	r.evidence = ""
	r.summarize(IDSchema, start, "%s validated against built-in schemas, %s against CRD schemas (%s)",
		plural(builtins, "object"), plural(custom, "custom resource"), r.crdSourceNote())
}

// validateBuiltin reports every unknown field, wrong type and missing
// required field of a built-in object.
func (r *run) validateBuiltin(o *object, t reflect.Type) {
	w := &schemaWalker{}
	w.walk(builtinSchemas.of(t), o.Obj.Object)
	if len(w.errs) == 0 && (o.Obj.GetName() != "" || o.Obj.GetGenerateName() != "") {
		return
	}
	r.evidence = fmt.Sprintf("strict schema of %s %s (the typed API structs of k8s.io/api %s)", o.gvk.GroupVersion(), o.gvk.Kind, builtin.GeneratedFrom)
	r.reportFieldErrors(o, w.sorted())
	r.checkName(o)
}

// checkName requires metadata.name (or generateName).
func (r *run) checkName(o *object) {
	if o.Obj.GetName() == "" && o.Obj.GetGenerateName() == "" {
		r.fail(IDSchema, o, keys("metadata"), "missing required field \"metadata.name\"")
	}
}

func (r *run) reportFieldErrors(o *object, errs []fieldError) {
	for _, e := range errs {
		switch e.msg {
		case "unknown field":
			r.fail(IDSchema, o, e.path, "unknown field %q", e.path.String())
		case "missing required field":
			r.fail(IDSchema, o, e.path[:len(e.path)-1], "missing required field %q", e.path.String())
		default:
			r.fail(IDSchema, o, e.path, "%s: %s", e.path.String(), e.msg)
		}
	}
}
