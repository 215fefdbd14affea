// Package validate runs kship's Prepare checks on a rendered release, all in
// one pass and all reported: strict schema validation of built-in kinds and
// of custom resources against their CRD, API versions removed or deprecated
// in the target Kubernetes version, the reference graph of every pod
// template, workload hygiene, the migration plan and the release guardrails;
// AddDryRun, AddRevisionSize and AddOwnership add the plan's server-side
// dry-run results, whether the revision fits its Secret, and objects
// another kship release applies to the same Report.
// Its result is a Report: data that the checklist, SARIF, JUnit and the CLI
// render, and that deploy consults (Blocking) before the first write. A
// finding names its object and the file and line of the offending field
// (one line finder, manifest.Lines, for every family).
//
// It imports builtin, config, input, kube, manifest, plan, record and
// suggest because its checks are made of them: the built-in schemas, the
// release file, sizes as kship prints them, the cluster's clients, the
// rendered objects, the plan's dry-run results, the revision record and the
// releases that own objects, and the "did you mean" hints.
package validate

import (
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
)

// Status is the outcome of one check item.
type Status string

// The outcomes of a check item. Only Fail blocks a release.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check families (Check.ID).
const (
	IDSchema     = "schema"
	IDAPIVersion = "api-version"
	IDReference  = "reference"
	IDHygiene    = "hygiene"
	IDMigration  = "migration"
	IDGuardrail  = "guardrail"
	IDDryRun     = "dry-run" // produced by package plan's server-side dry-run
	// IDVerifyTarget: what Verify will send to (smoke hosts, Prometheus)
	// answers from where kship runs; produced by package probe.
	IDVerifyTarget = "verify-target"
)

// Check is one item of the release checklist: a pass summary of a check
// family, or one problem it found.
type Check struct {
	// ID is the check family, one of the ID* constants.
	ID string `json:"id"`
	// Title is a short human name of what was checked.
	Title  string `json:"title"`
	Status Status `json:"status"`
	// Object is the object the item is about (zero for release-wide items).
	Object manifest.Ref `json:"object,omitempty"`
	// Source is the file and line of the problem (of the offending field
	// where it could be located, else of the object's document).
	Source manifest.Location `json:"source,omitempty"`
	// Message says what is wrong and what to do, naming the object.
	Message string `json:"message"`
	// Rule is what was found, the same text for every finding of one kind
	// (the message without what varies per object: "container … has no
	// readiness probe: …"), so views can group repeated findings.
	Rule string `json:"rule,omitempty"`
	// Evidence is what was checked to reach the verdict.
	Evidence string `json:"evidence,omitempty"`
}

// Report is the result of Run: every check item, in a stable order.
type Report struct {
	Checks []Check `json:"checks"`
}

// Add appends check items.
func (r *Report) Add(c ...Check) { r.Checks = append(r.Checks, c...) }

// Blocking reports whether any item failed, so nothing may be applied.
func (r *Report) Blocking() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

// Count returns how many items have the given status.
func (r *Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Input is what Run validates.
type Input struct {
	// Release is the loaded release file (migrations, rollback, verify).
	Release *config.Release
	// Objects are the rendered objects of the release.
	Objects []manifest.Object
	// Clients reach the target cluster; nil validates offline (built-in
	// schemas and CRDs of the bundle only, references within the bundle).
	Clients *kube.Clients
	// KubeVersion is the target Kubernetes version ("1.37"); empty reads it
	// from the cluster, or assumes the newest version kship knows offline.
	KubeVersion string
	// ReleaseFile is the path of the release file, so that release-level
	// problems (migrations, guardrails) carry its file and line. Empty:
	// Release.Dir/kship.yaml when that file is the release's.
	ReleaseFile string
	// Drills reads the rollback drill evidence a destructive migration
	// needs (evidence.ReadDrill); nil refuses such a migration.
	Drills DrillReader
}
