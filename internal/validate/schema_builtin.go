package validate

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
)

// apiModuleVersion is the k8s.io/api release the built-in schemas come from.
const apiModuleVersion = "v0.37.2"

var (
	builtinOnce  sync.Once
	builtinTypes map[schema.GroupVersionKind]reflect.Type
	objectMeta   = reflect.TypeOf(metav1.ObjectMeta{})
)

// builtinType returns the Go type of a built-in kind (client-go's scheme
// plus apiextensions), or nil when the kind is not built in.
func builtinType(gvk schema.GroupVersionKind) reflect.Type {
	builtinOnce.Do(func() {
		s := runtime.NewScheme()
		_ = clientscheme.AddToScheme(s)
		_ = apiextv1.AddToScheme(s)
		_ = apiextv1beta1.AddToScheme(s)
		builtinTypes = s.AllKnownTypes()
	})
	return builtinTypes[gvk]
}

// checkSchemas validates every object strictly: built-in kinds against the
// API's typed structs, custom resources against their CRD's schema.
func (r *run) checkSchemas(ctx context.Context) {
	start := len(r.report.Checks)
	crds := r.bundleCRDs()
	var builtin, custom int
	for i := range r.objs {
		o := &r.objs[i]
		gvk := o.gvk
		if o.removed {
			continue // reported by the API-version check alone
		}
		if t := builtinType(gvk); t != nil {
			builtin++
			r.validateBuiltin(o, t)
			continue
		}
		r.evidence = ""
		if r.validateCustom(ctx, o, crds) {
			custom++
		}
	}
	r.evidence = ""
	r.summarize(IDSchema, start, "%s validated against built-in schemas, %s against CRD schemas (%s)",
		plural(builtin, "object"), plural(custom, "custom resource"), r.crdSourceNote())
}

// validateBuiltin reports every unknown field, wrong type and missing
// required field of a built-in object.
func (r *run) validateBuiltin(o *object, t reflect.Type) {
	w := &schemaWalker{}
	w.walk(builtinSchemas.of(t), o.Obj.Object)
	if len(w.errs) == 0 && (o.Obj.GetName() != "" || o.Obj.GetGenerateName() != "") {
		return
	}
	r.evidence = fmt.Sprintf("strict schema of %s %s (the typed API structs of k8s.io/api %s)", o.gvk.GroupVersion(), o.gvk.Kind, apiModuleVersion)
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
