package validate

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/kship/kship/internal/builtin"
)

// crdInfo is one CRD and its compiled per-version schemas.
type crdInfo struct {
	crd *apiextv1.CustomResourceDefinition
	// from says where the CRD was found: "the bundle", "the cluster" or
	// the file of spec.check.crds.
	from     string
	versions map[string]*crdVersion
}

// crdVersion is the compiled schema of one served version.
type crdVersion struct {
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaCreateValidator
	// cel evaluates the x-kubernetes-validations rules (nil when none).
	cel *cel.Validator
	err error
}

// bundleCRDs indexes the CRDs of the bundle by group and kind (v1, and
// v1beta1 ones converted as the API server would).
func (r *run) bundleCRDs() map[schema.GroupKind]*crdInfo {
	out := map[schema.GroupKind]*crdInfo{}
	for i := range r.objs {
		o := &r.objs[i]
		if o.gvk.GroupKind() != crdGroupKind {
			continue
		}
		crd, err := crdOf(o.Obj.Object, o.gvk.Version)
		if err != nil {
			continue // the built-in schema check reports why
		}
		gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
		out[gk] = &crdInfo{crd: crd, from: "the bundle", versions: map[string]*crdVersion{}}
	}
	return out
}

func (r *run) crdSourceNote() string {
	var note string
	if r.cluster == nil {
		note = "CRDs from the bundle; offline, the cluster's CRDs were not consulted"
	} else {
		note = "CRDs from the bundle, then the cluster"
	}
	if s := r.crdFiles; s != nil && len(s.Paths) > 0 {
		note += fmt.Sprintf("; %s from spec.check.crds/--crds (%s)", plural(len(r.extraCRDs), "CRD"), strings.Join(s.Paths, ", "))
		if len(s.Skipped) > 0 {
			note += "; passed over: " + strings.Join(s.Skipped, ", ")
		}
	}
	return note
}

// validateCustom validates a custom resource against its CRD: unknown
// fields (those the API server would prune), then the OpenAPI v3 schema,
// list-type rules and metadata. It reports whether a CRD was found.
func (r *run) validateCustom(ctx context.Context, o *object, crds map[schema.GroupKind]*crdInfo) bool {
	gvk := o.gvk
	info := crds[gvk.GroupKind()]
	if info == nil && r.cluster != nil {
		info = r.cluster.crd(ctx, gvk.GroupKind())
	}
	if info == nil {
		info = r.extraCRDs[gvk.GroupKind()]
	}
	if info == nil {
		r.noCRD(o, gvk)
		return false
	}
	r.evidence = fmt.Sprintf("OpenAPI v3 schema of CRD %s version %s, taken from %s", info.crd.Name, gvk.Version, info.from)
	v, msg := info.version(gvk.Version)
	if v == nil {
		r.fail(IDSchema, o, keys("apiVersion"), "%s", msg)
		return true
	}
	r.checkName(o)
	r.validateMetadata(o)
	// As the API server does: prune unknown fields (reported), default,
	// then validate the schema, list types and CEL rules.
	obj := runtime.DeepCopyJSON(o.Obj.Object)
	unknown := pruning.PruneWithOptions(obj, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range unknown {
		r.fail(IDSchema, o, parsePath(p), "unknown field %q (not in the schema of CRD %s)", p, info.crd.Name)
	}
	defaulting.Default(obj, v.structural)
	errs := apiservervalidation.ValidateCustomResource(nil, obj, v.validator)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	if v.cel != nil && len(errs) == 0 { // rules assume a well-formed object
		celErrs, _ := v.cel.Validate(ctx, nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	for _, e := range errs {
		r.fail(IDSchema, o, parsePath(e.Field), "%s: %s (CRD %s)", e.Field, e.ErrorBody(), info.crd.Name)
	}
	return true
}

// validateMetadata checks a custom resource's metadata like a built-in's.
func (r *run) validateMetadata(o *object) {
	meta, ok := o.Obj.Object["metadata"]
	if !ok {
		return
	}
	w := &schemaWalker{path: keys("metadata")}
	w.walk(builtinSchemas.of(objectMeta), meta)
	r.reportFieldErrors(o, w.sorted())
}

// noCRD reports a kind that is neither built in nor defined by a CRD. A
// kind served by an aggregated API (the cluster serves it without a CRD,
// or an APIService of the bundle registers its group and version) is left
// to the server-side dry-run, with a note.
func (r *run) noCRD(o *object, gvk schema.GroupVersionKind) {
	r.evidence = "built-in kinds of the API server of Kubernetes " + builtin.ServerRelease + " (k8s.io/api " + builtin.GeneratedFrom + "), CRDs of the bundle"
	if r.cluster != nil {
		r.evidence += " and of the cluster"
	}
	if len(r.extraCRDs) > 0 {
		r.evidence += " and of spec.check.crds/--crds"
	}
	if r.cluster != nil && r.cluster.serves(gvk) {
		r.add(IDSchema, Pass, o, nil, r.evidence, "%s is served by an aggregated API (no CRD): its schema is checked by the server-side dry-run only", gvk.GroupVersion())
		return
	}
	if name, ok := r.apiServices[gvk.GroupVersion()]; ok {
		dryRun := "its schema is checked by the server-side dry-run only"
		if r.cluster == nil {
			dryRun += " (offline: not checked)"
		}
		r.add(IDSchema, Pass, o, nil, r.evidence+", APIServices of the bundle", "%s is served by an aggregated API (APIService %s of the bundle): %s", gvk.GroupVersion(), name, dryRun)
		return
	}
	if msg := builtinMistake(gvk, r.version); msg != "" {
		r.fail(IDSchema, o, keys("kind"), "%s", msg)
		return
	}
	plural, _ := meta.UnsafeGuessKindToResource(gvk)
	crdName := plural.Resource + "." + gvk.Group
	where := "in the bundle or the cluster: install the CRD first, add it to the bundle, or give it with --crds FILE or spec.check.crds"
	if r.cluster != nil && r.cluster.crdErr != nil {
		where = fmt.Sprintf("in the bundle, and the cluster's CRDs could not be read (%v)", r.cluster.crdErr)
	}
	if r.cluster == nil {
		where = fmt.Sprintf("in the bundle or the CRDs given (offline, the cluster was not consulted): give it with --crds FILE_OR_FOLDER or spec.check.crds (kubectl get crd %s -o yaml exports it)", crdName)
	}
	r.fail(IDSchema, o, keys("kind"), "no CRD for kind %s (%s, usually CRD %s) %s", gvk.Kind, gvk.GroupVersion(), crdName, where)
}

// version returns the compiled schema of a served version, or why there is none.
func (c *crdInfo) version(name string) (*crdVersion, string) {
	if v, ok := c.versions[name]; ok {
		return v, ""
	}
	var names []string
	for i := range c.crd.Spec.Versions {
		cv := &c.crd.Spec.Versions[i]
		names = append(names, cv.Name)
		if cv.Name != name {
			continue
		}
		if !cv.Served {
			return nil, fmt.Sprintf("version %s of CRD %s (in %s) is not served", name, c.crd.Name, c.from)
		}
		v := compileVersion(cv)
		if v.err != nil {
			return nil, fmt.Sprintf("CRD %s (in %s) has an invalid schema for %s: %v", c.crd.Name, c.from, name, v.err)
		}
		c.versions[name] = v
		return v, ""
	}
	return nil, fmt.Sprintf("CRD %s (in %s) has no version %s (it has %s)", c.crd.Name, c.from, name, strings.Join(names, ", "))
}

func compileVersion(cv *apiextv1.CustomResourceDefinitionVersion) *crdVersion {
	internal := &apiextensions.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptrTrue()}
	if cv.Schema != nil && cv.Schema.OpenAPIV3Schema != nil {
		internal = &apiextensions.JSONSchemaProps{}
		if err := apiextv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(cv.Schema.OpenAPIV3Schema, internal, nil); err != nil {
			return &crdVersion{err: err}
		}
	}
	s, err := structuralschema.NewStructural(internal)
	if err != nil {
		return &crdVersion{err: err}
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal)
	if err != nil {
		return &crdVersion{err: err}
	}
	return &crdVersion{structural: s, validator: validator, cel: cel.NewValidator(s, true, celconfig.PerCallLimit)}
}

func ptrTrue() *bool { t := true; return &t }
