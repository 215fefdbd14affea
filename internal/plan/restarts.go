package plan

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kship/kship/internal/configdigest"
	"github.com/kship/kship/internal/manifest"
)

// Restart is a workload whose pods the release replaces because the
// config digest kship stamps into its pod template changes
// (configdigest): config it consumes changes.
type Restart struct {
	Workload manifest.Ref `json:"workload"`
	// Because are the config changes of the release that change what the
	// workload reads.
	Because []ConfigChange `json:"because,omitempty"`
	// Note says why the digest changes when no config change accounts for
	// it, or what limits the restart (updateStrategy OnDelete).
	Note string `json:"note,omitempty"`
}

// ConfigChange is one ConfigMap or Secret whose change restarts a workload.
type ConfigChange struct {
	Config manifest.Ref `json:"config"`
	// Change is "changed" (what the workload reads differs) or "added"
	// (the object is new in the cluster).
	Change string `json:"change"`
	// Uses say how the workload reads it: "envFrom", "env API_KEY",
	// "volume config".
	Uses []string `json:"uses"`
}

// String renders the restart as one line: "Deployment shop/web restarts:
// ConfigMap shop/web-config changed (envFrom)".
func (r Restart) String() string {
	parts := make([]string, len(r.Because))
	for i, c := range r.Because {
		parts[i] = fmt.Sprintf("%s %s (%s)", c.Config, c.Change, strings.Join(c.Uses, ", "))
	}
	why := strings.Join(parts, "; ")
	switch {
	case why == "":
		why = r.Note
	case r.Note != "":
		why += "; " + r.Note
	}
	return fmt.Sprintf("%s restarts: %s", r.Workload, why)
}

// restarts lists the updated workloads whose config digest changes, in
// plan order, each with the config changes that account for it. A created
// workload is not restarted, so a first release has none.
func restarts(obs []observed) []Restart {
	byRef := make(map[manifest.Ref]*observed, len(obs))
	objs := make([]manifest.Object, 0, len(obs))
	for i := range obs {
		if obs[i].change.Action != ActionPrune {
			byRef[obs[i].change.Ref] = &obs[i]
			objs = append(objs, obs[i].obj)
		}
	}
	uses := map[manifest.Ref][]configdigest.Use{}
	for _, u := range configdigest.Uses(objs) {
		uses[u.Workload] = append(uses[u.Workload], u)
	}
	var out []Restart
	for _, o := range obs {
		if o.change.Action != ActionUpdate || !configdigest.Stamped(o.obj.Obj) {
			continue
		}
		was, now := configdigest.Of(o.live), configdigest.Of(desiredOf(&o))
		if was == now {
			continue
		}
		r := Restart{Workload: o.change.Ref, Because: configChanges(uses[o.change.Ref], byRef)}
		if len(r.Because) == 0 {
			r.Note = digestNote(was, now)
		}
		if onDelete(o.obj.Obj) {
			r.Note = strings.TrimPrefix(r.Note+"; ", "; ") + "its updateStrategy is OnDelete: the template changes, but each pod is replaced only when it is deleted"
		}
		out = append(out, r)
	}
	return out
}

// configChanges groups a workload's uses by object and keeps the objects
// that are new or whose read part changes.
func configChanges(uses []configdigest.Use, byRef map[manifest.Ref]*observed) []ConfigChange {
	var out []ConfigChange
	index := map[manifest.Ref]int{}
	for _, u := range uses {
		cfg := byRef[u.Config]
		if cfg == nil {
			continue
		}
		change := "changed"
		switch {
		case cfg.change.Action == ActionCreate:
			change = "added"
		case !configdigest.Changed(u, cfg.live, desiredOf(cfg)):
			continue
		}
		if i, ok := index[u.Config]; ok {
			out[i].Uses = appendNew(out[i].Uses, u.How)
			continue
		}
		index[u.Config] = len(out)
		out = append(out, ConfigChange{Config: u.Config, Change: change, Uses: []string{u.How}})
	}
	return out
}

func appendNew(l []string, s string) []string {
	for _, e := range l {
		if e == s {
			return l
		}
	}
	return append(l, s)
}

// desiredOf is what the object becomes: the dry-run result, or the object
// as rendered when there is none.
func desiredOf(o *observed) *unstructured.Unstructured {
	if o.result != nil {
		return o.result
	}
	return o.obj.Obj
}

func digestNote(was, now string) string {
	switch {
	case was == "":
		return fmt.Sprintf("kship stamps the digest of the config it reads into its pod template for the first time (%s)", configdigest.Annotation)
	case now == "":
		return fmt.Sprintf("its config digest (%s) is removed: it opts out (%s: \"false\") or reads no config of the release any more", configdigest.Annotation, configdigest.OptOutAnnotation)
	}
	return "the config it reads is the same, but what it reads from changes (its references, or the digest key)"
}

func onDelete(u *unstructured.Unstructured) bool {
	t, _, _ := unstructured.NestedString(u.Object, "spec", "updateStrategy", "type")
	return t == "OnDelete"
}
