package validate

import (
	"fmt"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextinstall "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/install"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/manifest"
)

var (
	crdGroupKind        = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}
	apiServiceGroupKind = schema.GroupKind{Group: "apiregistration.k8s.io", Kind: "APIService"}

	crdSchemeOnce sync.Once
	crdScheme     *runtime.Scheme
)

// crdOf reads a CRD written as apiextensions.k8s.io/v1, or as v1beta1
// (defaulted and converted to v1 as the API server did when it served
// v1beta1), so an old CRD is still a schema source.
func crdOf(obj map[string]any, version string) (*apiextv1.CustomResourceDefinition, error) {
	out := &apiextv1.CustomResourceDefinition{}
	switch version {
	case "v1":
		return out, runtime.DefaultUnstructuredConverter.FromUnstructured(obj, out)
	case "v1beta1":
	default:
		return nil, fmt.Errorf("apiextensions.k8s.io/%s is not a CRD version kship reads", version)
	}
	crdSchemeOnce.Do(func() {
		crdScheme = runtime.NewScheme()
		apiextinstall.Install(crdScheme)
	})
	old := &apiextv1beta1.CustomResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, old); err != nil {
		return nil, err
	}
	crdScheme.Default(old)
	internal := &apiextensions.CustomResourceDefinition{}
	if err := crdScheme.Convert(old, internal, nil); err != nil {
		return nil, err
	}
	if err := crdScheme.Convert(internal, out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// loadCRDSources reads the CRDs of spec.check.crds (a problem reading them
// is a failed item: the loader reports it as bad input before validation
// runs, callers that skip it get it here) and the group versions the
// bundle's APIServices register.
func (r *run) loadCRDSources() {
	r.apiServices = map[schema.GroupVersion]string{}
	for i := range r.objs {
		o := &r.objs[i]
		if o.gvk.GroupKind() != apiServiceGroupKind {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "group")
		version, _, _ := unstructured.NestedString(o.Obj.Object, "spec", "version")
		if _, local, _ := unstructured.NestedMap(o.Obj.Object, "spec", "service"); local && version != "" {
			r.apiServices[schema.GroupVersion{Group: group, Version: version}] = o.Obj.GetName()
		}
	}
	r.extraCRDs = map[schema.GroupKind]*crdInfo{}
	if r.in.Release == nil || len(r.in.Release.Spec.Check.CRDs) == 0 {
		return
	}
	src, err := manifest.ReadCRDs(r.in.Release)
	r.crdFiles = src
	if err != nil {
		r.add(IDSchema, Fail, nil, keys("spec", "check", "crds"), "the files of spec.check.crds/--crds", "%v", err)
	}
	if src == nil {
		return
	}
	for _, o := range src.CRDs {
		crd, err := crdOf(o.Obj.Object, o.GVK().Version)
		if err != nil {
			r.add(IDSchema, Fail, nil, nil, "the files of spec.check.crds/--crds", "%s: CRD %s cannot be read: %v", o.Source, o.Obj.GetName(), err)
			continue
		}
		gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
		if _, dup := r.extraCRDs[gk]; !dup {
			r.extraCRDs[gk] = &crdInfo{crd: crd, from: o.Source.String(), versions: map[string]*crdVersion{}}
		}
	}
}

// checkCRDSourceVersions warns about CRDs of spec.check.crds written in an
// API version the target no longer serves: kship still reads their schema,
// but they no longer describe what a cluster of the target accepts as a CRD.
func (r *run) checkCRDSourceVersions() {
	if r.crdFiles == nil {
		return
	}
	for _, c := range r.crdFiles.CRDs {
		st, msg := apiVerdict(c.GVK(), r.version)
		if st == Pass {
			continue
		}
		o := &object{Object: c, ref: c.Ref(), gvk: c.GVK()}
		r.add(IDAPIVersion, Warn, o, keys("apiVersion"), r.versionNote+"; the files of spec.check.crds/--crds",
			"%s; kship reads its schema (given with spec.check.crds/--crds, not applied), but export it again as apiextensions.k8s.io/v1", msg)
	}
}
