// Package plan computes what a release will change before anything is
// written: a server-side dry-run of every object in dependency order,
// compared field by field with the live cluster (Secret values masked), the
// objects the previous revision had and this one lacks (prune), the risks of
// the change and the success criteria, rollback trigger and rollback method
// the deploy will use.
//
// Objects that cannot be dry-run on the server as they are, because the
// Namespace or CRD they need is created by the same release, are handled
// explicitly and the Plan says how each one was checked (DryRun.Mode):
//
//   - an object in a Namespace that does not exist yet and that the release
//     creates (a Namespace of the bundle, or the release namespace, which
//     deploy creates for a first release) is dry-run as a create in an
//     existing stand-in namespace (the first existing namespace the bundle
//     uses, otherwise "default"), with mentions of the stand-in mapped back
//     in errors. The API server then runs its full validation and admission
//     chain for the object; only admission that depends on the new
//     namespace itself (its quotas, limit ranges, pod-security labels) is not
//     exercised, and the Plan says so.
//   - a custom resource of a CRD the release creates cannot be sent to the
//     server at all (the kind is not served yet); it is marked deferred and
//     relies on the CRD-schema validation of the validate package, which
//     checks it against the CRD in the bundle. When the CRD already exists
//     and the bundle changes it, custom resources are dry-run against the
//     live (old) schema.
//
// A workload whose config digest changes (the annotation configdigest
// stamps into its pod template) is listed in Restarts with the config
// changes that account for it. plan imports config, kube and manifest (the
// release file, the clients it dry-runs with, the rendered objects) and
// configdigest, a fourth kship package, for which template reads which key
// of which object.
//
// Live objects are read with one LIST per resource and namespace when the
// bundle has several of them, else one GET each; the dry-runs run on a
// bounded worker pool and are reported in dependency order.
package plan

import (
	"fmt"
	"time"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/manifest"
)

// Action is what the release does to one object.
type Action string

// Actions.
const (
	ActionCreate    Action = "create"
	ActionUpdate    Action = "update"
	ActionUnchanged Action = "unchanged"
	ActionPrune     Action = "prune"
)

// Actions lists every action in display order.
var Actions = []Action{ActionCreate, ActionUpdate, ActionUnchanged, ActionPrune}

// Plan is what a release will do, computed without writing to the cluster.
type Plan struct {
	Release   string         `json:"release"`
	Namespace string         `json:"namespace"`
	Changes   []Change       `json:"changes"`
	Counts    map[Action]int `json:"counts"`
	Risks     []Risk         `json:"risks"`
	// Restarts are the workloads a config change restarts (none for a
	// first release: nothing runs yet).
	Restarts []Restart `json:"restarts,omitempty"`
	Criteria Criteria  `json:"criteria"`
	Cluster  string    `json:"cluster,omitempty"` // API server host the plan was computed against
	// Mechanism says what the rollout mechanism will do when it is not
	// kship's own apply ("Helm revision 4 of release shop/web ...").
	Mechanism string `json:"mechanism,omitempty"`
	// Strategy are the steps of a strategy that has its own (blue-green:
	// create the new color, preview, switch, hold, remove the old color),
	// each naming the objects it creates, scales, switches or removes.
	Strategy  []string  `json:"strategy,omitempty"`
	Generated time.Time `json:"generated,omitempty"`
	// Defaults are the release-file values kship filled in because the
	// file left them out, shown so nothing is implicit.
	Defaults []config.Default `json:"defaults,omitempty"`
}

// Change is the planned action on one object.
type Change struct {
	Ref    manifest.Ref      `json:"ref"`
	Source manifest.Location `json:"source"`
	// APIVersion is the group/version the object is written in.
	APIVersion string      `json:"apiVersion,omitempty"`
	Action     Action      `json:"action"`
	Diff       []FieldDiff `json:"diff,omitempty"`
	// DryRunError is the API server's answer when the dry-run failed
	// (Secret values scrubbed); empty when it passed.
	DryRunError string `json:"dryRunError,omitempty"`
	// DryRunFields are the field paths the server's refusal names
	// ("spec.selector"), for locating the line in the source file.
	DryRunFields []string `json:"dryRunFields,omitempty"`
	// DryRun says how the object was checked by the server.
	DryRun DryRun `json:"dryRun"`
	// Conflict is the server's answer when applying the object would take
	// over fields another field manager owns (deploy then needs
	// --force-conflicts); the diff is the one a forced apply would make.
	Conflict string `json:"conflict,omitempty"`
	// LiveDigest is the SHA-256 of the live object the plan compared with
	// (LiveDigestOf), "" when it was absent: a plan is stale when it
	// changed. Not written out: a digest of a Secret is not to be shown.
	LiveDigest string `json:"-"`
}

// DryRun modes: how an object was checked.
const (
	// DryRunServer: server-side apply with dryRun=All, as the deploy will apply it.
	DryRunServer = "server"
	// DryRunStandIn: dry-run create in a stand-in namespace, because the
	// object's namespace is created by this release.
	DryRunStandIn = "server-stand-in-namespace"
	// DryRunDeferred: not sent to the server; its CRD is created by this
	// release, so it is checked against that CRD's schema offline.
	DryRunDeferred = "deferred"
	// DryRunNotServed: the cluster does not serve the object's
	// group/version/kind and nothing in the release creates it.
	DryRunNotServed = "not-served"
	// DryRunNone: no dry-run (prune: the object is only deleted).
	DryRunNone = "none"
)

// DryRun says how an object was checked by the API server and why.
type DryRun struct {
	Mode string `json:"mode"`
	Note string `json:"note,omitempty"`
}

// FieldDiff is one changed field, at a path such as
// `spec.template.spec.containers[name=web].image`.
type FieldDiff struct {
	Path string `json:"path"`
	// Op is "changed", "added" or "removed"; for masked Secret keys also
	// "unchanged".
	Op string `json:"op"`
	// Old and New are the values as JSON; empty when absent or masked.
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
	// Masked is set for Secret data: the values are never kept.
	Masked bool `json:"masked,omitempty"`
}

// Field diff operations.
const (
	OpChanged   = "changed"
	OpAdded     = "added"
	OpRemoved   = "removed"
	OpUnchanged = "unchanged"
)

// String renders the diff as `path: old → new`, or `path: (changed)` for a
// masked value.
func (d FieldDiff) String() string {
	if d.Masked {
		return fmt.Sprintf("%s: (%s)", d.Path, d.Op)
	}
	old, nw := d.Old, d.New
	if d.Op == OpAdded {
		old = "(none)"
	}
	if d.Op == OpRemoved {
		nw = "(none)"
	}
	return fmt.Sprintf("%s: %s → %s", d.Path, old, nw)
}

// Risk is something about the change a reviewer must look at.
type Risk struct {
	Object manifest.Ref `json:"object"`
	Kind   RiskKind     `json:"kind"`
	// Message says what is risky; Advice what to do about it.
	Message string `json:"message"`
	Advice  string `json:"advice,omitempty"`
}

// RiskKind classifies a risk.
type RiskKind string

// Risk kinds.
const (
	RiskDelete       RiskKind = "delete"
	RiskPVC          RiskKind = "pvc-change"
	RiskCRD          RiskKind = "crd-change"
	RiskScaleToZero  RiskKind = "replicas-to-zero"
	RiskMutableImage RiskKind = "mutable-image"
	RiskImmutable    RiskKind = "immutable-field"
)

// Count fills p.Counts from p.Changes.
func (p *Plan) Count() {
	p.Counts = map[Action]int{}
	for _, a := range Actions {
		p.Counts[a] = 0
	}
	for _, c := range p.Changes {
		p.Counts[c.Action]++
	}
}

// Failed returns the changes whose dry-run failed.
func (p *Plan) Failed() []Change {
	var out []Change
	for _, c := range p.Changes {
		if c.DryRunError != "" {
			out = append(out, c)
		}
	}
	return out
}
