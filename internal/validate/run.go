package validate

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kship/kship/internal/builtin"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

// Run validates a rendered release and returns every finding. It never
// stops at the first problem: each check family reports one Pass item when
// it found nothing (saying what it checked), else one item per problem.
// Problems name their object and the file and line of the offending field.
// With Clients it reads the cluster (version, CRDs, and one LIST per kind
// and namespace for references) and never writes to it.
func Run(ctx context.Context, in Input) *Report {
	r := newRun(in)
	r.resolveKubeVersion()
	r.markRemoved()
	r.checkSchemas(ctx)
	r.checkAPIVersions()
	r.checkReferences(ctx)
	r.checkHygiene(ctx)
	r.checkMigrations()
	r.checkGuardrails()
	return r.report
}

// run is the state of one Run: the input, an index of the bundle, the
// cluster inventory read so far and the report being built.
type run struct {
	in      Input
	objs    []object
	report  *Report
	lines   *lineFinder
	version kubeVersion
	// versionNote says where the target version came from.
	versionNote string
	cluster     *inventory // nil offline
	// relFile is the release file, for release-level problems ("" unknown).
	relFile string
	// evidence is what the current check is comparing against; it is the
	// Evidence of the problems reported while it is set.
	evidence string
	// crdFiles are the CRDs of spec.check.crds/--crds (nil: none named);
	// extraCRDs index them by group and kind.
	crdFiles  *manifest.CRDSources
	extraCRDs map[schema.GroupKind]*crdInfo
	// apiServices are the group versions the bundle's APIServices register
	// (served by an aggregated API), with the APIService's name.
	apiServices map[schema.GroupVersion]string
}

// object is one bundle object with what the checks ask of it repeatedly.
type object struct {
	manifest.Object
	ref manifest.Ref
	gvk schema.GroupVersionKind
	// ns is the effective namespace: its own, else the release's.
	ns string
	// removed is set when the target version does not serve its API version.
	removed bool
}

func newRun(in Input) *run {
	r := &run{in: in, report: &Report{}, lines: newLineFinder(in.Release)}
	relNS := ""
	if in.Release != nil {
		relNS = in.Release.Spec.Namespace
	}
	r.objs = make([]object, 0, len(in.Objects))
	for _, o := range in.Objects {
		if o.Obj == nil {
			continue
		}
		gvk := o.GVK()
		ref := manifest.Ref{Group: gvk.Group, Kind: gvk.Kind, Namespace: o.Obj.GetNamespace(), Name: o.Obj.GetName()}
		ns := ref.Namespace
		if ns == "" && builtin.ScopeOf(gvk.GroupKind()) != builtin.Cluster {
			ns = relNS
		}
		r.objs = append(r.objs, object{Object: o, ref: ref, gvk: gvk, ns: ns})
	}
	if in.Clients != nil {
		r.cluster = newInventory(in.Clients)
	}
	r.relFile = releaseFile(in)
	r.loadCRDSources()
	return r
}

// releaseFile returns Input.ReleaseFile, else Release.Dir/kship.yaml when
// it names this release.
func releaseFile(in Input) string {
	if in.ReleaseFile != "" || in.Release == nil || in.Release.Dir == "" {
		return in.ReleaseFile
	}
	guess := filepath.Join(in.Release.Dir, "kship.yaml")
	rel, err := config.Load(guess)
	if err != nil || rel.Metadata.Name != in.Release.Metadata.Name {
		return ""
	}
	return guess
}

// markRemoved flags the objects whose API version the target version does
// not serve: only the API-version check reports them.
func (r *run) markRemoved() {
	for i := range r.objs {
		if st, _ := apiVerdict(r.objs[i].gvk, r.version); st == Fail {
			r.objs[i].removed = true
		}
	}
}

// fail, warn and pass add items of a check family; path locates the field
// (nil: the object's document).
func (r *run) fail(id string, o *object, path fieldPath, format string, args ...any) {
	r.add(id, Fail, o, path, "", format, args...)
}

func (r *run) warn(id string, o *object, path fieldPath, format string, args ...any) {
	r.add(id, Warn, o, path, "", format, args...)
}

func (r *run) add(id string, st Status, o *object, path fieldPath, evidence, format string, args ...any) {
	if evidence == "" {
		evidence = r.evidence
	}
	msg := fmt.Sprintf(format, args...)
	c := Check{ID: id, Title: titles[id], Status: st, Message: msg, Rule: ruleOf(format, msg), Evidence: evidence}
	switch {
	case o != nil:
		c.Object = o.ref
		c.Message = o.ref.String() + ": " + c.Message
		c.Source = r.lines.locate(o.Source, path)
	case r.relFile != "" && path != nil:
		c.Source = r.lines.locate(manifest.Location{File: r.relFile}, path)
	}
	r.report.Add(c)
}

// verbRE matches the verbs of a format string.
var verbRE = regexp.MustCompile(`%[-+# 0-9.*]*[a-zA-Z%]`)

// ruleOf names the rule a finding states: its format with what varies per
// object (the verbs) written as "…"; the message itself when the format
// is nothing but verbs.
func ruleOf(format, msg string) string {
	rule := verbRE.ReplaceAllStringFunc(format, func(v string) string {
		if v == "%%" {
			return "%"
		}
		return "…"
	})
	if strings.Trim(rule, "… :;,()") == "" {
		return msg
	}
	return rule
}

// summarize adds the family's Pass item when it reported no problem since
// item index start, with what it checked.
func (r *run) summarize(id string, start int, format string, args ...any) {
	for _, c := range r.report.Checks[start:] {
		if c.ID == id && c.Status != Pass {
			sortItems(r.report.Checks[start:])
			return
		}
	}
	msg := fmt.Sprintf(format, args...)
	r.report.Add(Check{ID: id, Title: titles[id], Status: Pass, Message: msg, Evidence: msg})
}

// sortItems orders a family's items by file, line and message.
func sortItems(cs []Check) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Source.File != b.Source.File {
			return a.Source.File < b.Source.File
		}
		if a.Source.Line != b.Source.Line {
			return a.Source.Line < b.Source.Line
		}
		return a.Message < b.Message
	})
}

var titles = map[string]string{
	IDSchema:     "Strict schema",
	IDAPIVersion: "API versions",
	IDReference:  "References",
	IDHygiene:    "Workload hygiene",
	IDMigration:  "Migrations",
	IDGuardrail:  "Guardrails",
}

// plural returns "n thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", thing)
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
