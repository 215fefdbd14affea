// Package record keeps a release's state in the cluster, next to the
// application: one Secret per revision (the compressed rendered manifests,
// the release file and a JSON record of the outcome), the last ten kept, and
// a coordination.k8s.io Lease per release that serves as its lock.
//
// Revision Secrets are named kship.<release>.v<N>, have type
// kship.dev/release.v1 and carry labels so that
// `kubectl get secrets -l kship.dev/release=web` lists a release's history.
// The stored manifests include the release's own Secrets (a rollback must
// restore them exactly); they live only inside the revision Secret, protected
// like the Secrets themselves, and are never printed by this package.
// So does the release's config digest key (configdigest), kept with each
// revision under its own data key so the next release digests unchanged
// Secrets alike.
//
// Permissions needed in the release namespace: secrets get, list, create,
// update, delete; leases (coordination.k8s.io) get, create, update, delete.
package record

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
)

// Outcomes of a revision.
const (
	// OutcomePending is a revision whose rollout has started and not ended.
	OutcomePending = "pending"
	// OutcomeDeployed is the verified revision currently running.
	OutcomeDeployed = "deployed"
	// OutcomeFailed is a revision that failed and was not rolled back.
	OutcomeFailed = "failed"
	// OutcomeRolledBack is a revision that failed and was rolled back.
	OutcomeRolledBack = "rolled-back"
	// OutcomeSuperseded is a formerly deployed revision replaced by a newer one.
	OutcomeSuperseded = "superseded"
	// OutcomeInterrupted is a revision whose kship process died mid-rollout.
	OutcomeInterrupted = "interrupted"
	// OutcomePaused is a revision whose strategy stopped part way (a
	// canary's pause without a duration): its Pause says where; it waits
	// for kship promote or kship abort, and the previous revision stays
	// the deployed one.
	OutcomePaused = "paused"
)

// Labels and annotations kship puts on the objects it keeps its state in.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelRelease   = "kship.dev/release"
	LabelRevision  = "kship.dev/revision"
	LabelOutcome   = "kship.dev/outcome"
	// AnnotationPreviousHolder on the lock Lease names the holder whose lock
	// was taken over (expired or forced) and when.
	AnnotationPreviousHolder = "kship.dev/previous-holder"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = "kship"
	// SecretType is the type of revision Secrets.
	SecretType = "kship.dev/release.v1"
)

// Keys of a revision Secret's data.
const (
	keyManifests   = "manifests.yaml.gz"
	keyReleaseFile = "release.yaml.gz"
	keyRecord      = "record.json"
	keyConfigKey   = "config-digest.key"
)

// DefaultKeep is how many revisions a release keeps.
const DefaultKeep = 10

// Revision is one attempt to ship a release (or to roll it back).
type Revision struct {
	Release   string
	Namespace string
	// Number is the revision number; 0 in a Revision given to Save means
	// "the next free number".
	Number int
	// Objects are the rendered manifests this revision applied.
	Objects []manifest.Object
	// ReleaseFile is the release file (kship.yaml) as written.
	ReleaseFile []byte
	// Outcome is one of the Outcome constants.
	Outcome        string
	Message        string
	EvidenceDir    string
	EvidenceDigest string
	StartedAt      time.Time
	FinishedAt     time.Time
	// RollbackOf is the revision this one rolled back (0 for a release).
	RollbackOf int
	// By is who ran it: the lock holder identity ("user@host pid N").
	By string
	// Unverified marks a deployed revision whose objects were applied and
	// ready but whose verification did not prove it works (no checks, or
	// checks that were inconclusive): it is what runs, not known good.
	Unverified bool
	// KshipVersion is the version of kship that wrote the revision.
	KshipVersion string
	// Adopted are objects this revision applied that existed before kship
	// managed them (in no earlier revision): a rollback leaves them in
	// place rather than deleting what kship did not create.
	Adopted []manifest.Ref
	// ConfigKey keys the hash of Secret data in the config digests of
	// this revision's pod templates (configdigest), kept so the next
	// release digests unchanged Secrets alike. Secret material: stored
	// only in the revision Secret, never printed.
	ConfigKey []byte
	// RestoredOrigin is what a rollback revision restored when it is no
	// kship revision (what ran before kship's first one: another client's
	// Helm revision), nil otherwise.
	RestoredOrigin *event.Origin
	// Pause is where a paused revision stopped (OutcomePaused; kept while
	// kship promote continues it, for the evidence), nil otherwise.
	Pause *Pause

	// resourceVersion of the Secret this revision was read from or saved
	// to; Save updates with it, so a concurrent change is a conflict.
	resourceVersion string
	// recordOnly marks a revision read by ListRecords, without manifests:
	// saving it would erase them, so Save refuses.
	recordOnly bool
}

// Pause is where a strategy stopped a release part way, waiting for a
// human: kship promote continues after Step, kship abort removes Objects
// and restores the previous revision. It is the strategy's to fill; State
// is the strategy's own record of where it is (a canary's replica counts
// and the steps it held), opaque to everything else.
type Pause struct {
	// Strategy is the strategy that paused (spec.strategy.type).
	Strategy string `json:"strategy"`
	// Step is the 1-based index of the step it paused at, of Steps.
	Step  int `json:"step"`
	Steps int `json:"steps"`
	// Weight is the share of ready pods the new version has, in percent.
	Weight int `json:"weight,omitempty"`
	// Message says what runs now, in words.
	Message string `json:"message"`
	// Objects are the objects the strategy runs beside the revision's own
	// (the canary Deployment): status shows their pods, abort removes them.
	Objects []manifest.Ref `json:"objects,omitempty"`
	// Workloads are the revision's own workloads status shows beside them.
	Workloads []manifest.Ref  `json:"workloads,omitempty"`
	At        time.Time       `json:"at"`
	State     json.RawMessage `json:"state,omitempty"`
}

// Store reads and writes revisions and locks in the cluster.
type Store struct {
	Typed kubernetes.Interface
	Now   func() time.Time
	// Keep is how many revisions to keep (DefaultKeep when 0).
	Keep int
	// Version is written into each revision's record (kship's version).
	Version string
}

// NewStore returns the Store that writes a release's revisions and takes
// its lock: each revision it saves records version (kship's) and is timed
// by now (time.Now when nil). With NewReader it is the one place a Store is
// built (release builds one per command).
func NewStore(typed kubernetes.Interface, now func() time.Time, version string) *Store {
	return &Store{Typed: typed, Now: now, Version: version}
}

// NewReader returns a Store that only reads (status, history, the MCP
// tools, the ownership check, a mechanism's look at its records): it saves
// nothing, so it needs neither clock nor version.
func NewReader(typed kubernetes.Interface) *Store {
	return &Store{Typed: typed}
}

// SecretName is the name of the Secret holding revision n of release.
func SecretName(release string, n int) string {
	return fmt.Sprintf("kship.%s.v%d", release, n)
}

// ShowManifestsCommand is the shell command that prints the manifests of
// revision n of release from its revision Secret, for a human rolling back
// by hand.
func ShowManifestsCommand(ns, release string, n int) string {
	key := strings.ReplaceAll(keyManifests, ".", `\.`)
	return fmt.Sprintf(`kubectl -n %s get secret %s -o jsonpath='{.data.%s}' | base64 -d | gunzip`, ns, SecretName(release, n), key)
}

// LeaseName is the name of the Lease that locks release.
func LeaseName(release string) string { return "kship." + release }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) keep() int {
	if s.Keep > 0 {
		return s.Keep
	}
	return DefaultKeep
}
