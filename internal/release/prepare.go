package release

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kship/kship/internal/access"
	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/configdigest"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/plan"
	"github.com/kship/kship/internal/probe"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollout"
	"github.com/kship/kship/internal/validate"
)

// PrepareOptions are the inputs of Prepare and PlanOnly.
type PrepareOptions struct {
	// ReleaseFile is the path of kship.yaml.
	ReleaseFile string
	// Release, when set, is the release file already loaded (deploy loads
	// it once per attempt); ReleaseFile is not read then.
	Release *config.Release
	// Clients reach the target cluster; nil when Offline.
	Clients *kube.Clients
	// Offline validates without a cluster: no dry-run, no live references,
	// built-in schemas and the bundle's CRDs only.
	Offline bool
	// KubeVersion is the target Kubernetes version ("1.37"); empty reads it
	// from the cluster (or assumes the newest known offline).
	KubeVersion string
	// EvidenceDir is the root of the evidence folders; the files go to
	// <EvidenceDir>/<release>/plan-<timestamp>/ unless BundleDir is set.
	EvidenceDir string
	// BundleDir, when set, is the exact folder to write into (the deploy
	// executor passes its attempt's bundle folder).
	BundleDir string
	// KeepPlans is how many plan-<time> folders of the release a check or
	// plan keeps, the one it writes included (0: evidence.DefaultKeepPlans;
	// negative: every one). A BundleDir run removes nothing.
	KeepPlans int
	// Namespace overrides spec.namespace of the release file (-n).
	Namespace string
	// CRDs are files or folders of CustomResourceDefinitions (--crds),
	// added to the release file's spec.check.crds; relative to the
	// working directory.
	CRDs []string
	// ForceConflicts dry-runs with the takeover of fields other field
	// managers own, as deploy --force-conflicts applies; without it such a
	// conflict is a blocking check.
	ForceConflicts bool
	// Previous are the objects of the release's last revision, nil when it
	// has no history; PreviousRevision is that revision's number.
	Previous         []manifest.Object
	PreviousRevision int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ToolVersion is kship's version, written into SARIF.
	ToolVersion string
	// Sink receives the plan and prepare stage events; nil discards them.
	Sink event.Sink
	// ReadHistory, when Previous is nil and a cluster is reachable, asks
	// the release's history for its revisions; Previous becomes the
	// objects that may be live from them, exactly as deploy computes what
	// to prune.
	ReadHistory bool
	// Catalog has the rollout mechanisms and strategies deploy can run: a
	// release file naming another is a blocking check.
	Catalog Catalog
	// ConfigKey keys the config digests of Secrets (the release history's,
	// record.ConfigKey); nil makes a new one (a first release).
	ConfigKey configdigest.Key
	// Prober probes the smoke hosts and Prometheus before the first write
	// (not offline); nil means a default probe.Prober.
	Prober *probe.Prober

	// fieldManager is the one the mechanism writes with (set by load);
	// upgradesClientSide says the write takes over its client-side fields.
	fieldManager       string
	upgradesClientSide bool
	// denied are the permissions the release needs that the identity
	// lacks (reviewAccess).
	denied []access.Missing
}

// Prepared is the outcome of Prepare: the loaded release, its rendered
// objects, the plan, every check and the folder the files were written to.
type Prepared struct {
	Release     *config.Release
	Objects     []manifest.Object
	Plan        *plan.Plan
	Report      *validate.Report
	EvidenceDir string
	// ConfigKey is the key the config digests were made with, for the
	// revision to keep.
	ConfigKey configdigest.Key
	// Files are the paths written, in the order written.
	Files []string
	// Redactor knows the values of the bundle's and the previous
	// revisions' Secrets and the release file's credentials: every view
	// of this result is written through it.
	Redactor *evidence.Redactor

	// mechanism is the rollout mechanism's part of Plan and Prepare (nil
	// for one without: apply); skipped what the source renders that is not
	// applied as an object (Helm hooks), each listed in the checks.
	mechanism *rollout.Preparation
	strategy  *rollout.StrategyPreparation
	skipped   []manifest.Skipped
	// fileNamespace is spec.namespace as the release file says it, before
	// -n (PrepareOptions.Namespace) replaced it.
	fileNamespace string
}

// InputError is bad input: a release file, source or cluster connection
// that cannot be used at all (exit 1), as opposed to a check that fails
// (exit 2).
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Prepare runs Plan and Prepare without writing to the cluster: it loads
// the release file, renders the sources, plans (server-side dry-run diff,
// unless offline), runs every check, turns dry-run failures into check
// items, and writes rollout-plan.md, plan.json, release-checklist.md,
// checks.json, checks.sarif and checks.junit.xml into the evidence folder.
// Bad input returns an *InputError; failed checks are in Report (Blocking).
func Prepare(ctx context.Context, o PrepareOptions) (*Prepared, error) {
	p, err := load(ctx, &o)
	if err != nil {
		return nil, err
	}
	emit(o, event.StagePrepare, event.TypeStageStarted, "checking the release")
	p.Report = validate.Run(ctx, validate.Input{Release: p.Release, Objects: p.Objects, Clients: o.liveClients(), KubeVersion: o.KubeVersion, Drills: evidence.ReadDrill})
	validate.AddDryRun(p.Report, p.Plan, p.Release, o.Offline)
	addSeamsCheck(p.Report, p.Release, o.Catalog)
	addStrategyChecks(ctx, p.Report, p.Release, p.Objects, o.Catalog, o.liveClients())
	addStrategyPreparation(p.Report, p)
	validate.AddRevisionSize(p.Report, p.Release, p.Objects)
	addVerifyTargetChecks(ctx, p.Report, p.Release, p.Objects, o)
	addNamespaceOverrideChecks(p.Report, p.Release, p.fileNamespace, releaseFileName(p.Release, o.ReleaseFile))
	addMechanismChecks(p.Report, p)
	addAccessCheck(p.Report, o, p.Release)
	if c := o.liveClients(); c != nil {
		validate.AddOwnership(ctx, p.Report, record.NewReader(c.Typed), p.Release, p.Objects)
	}
	if err := writeChecks(p, o); err != nil {
		return p, err
	}
	emit(o, event.StagePrepare, event.TypeStageFinished, prepareSummary(p.Report))
	return p, nil
}

// PlanOnly is the Plan stage alone (kship plan): load, render, dry-run
// diff, and write rollout-plan.md and plan.json. It needs a cluster.
func PlanOnly(ctx context.Context, o PrepareOptions) (*Prepared, error) {
	if o.Offline || o.Clients == nil {
		return nil, &InputError{Err: errors.New("kship plan needs a cluster: the plan is a server-side dry-run diff (use kship check --offline to validate without one)")}
	}
	return load(ctx, &o)
}

// load is the part Plan and Prepare share: load, render, plan, and write
// the plan files.
func load(ctx context.Context, o *PrepareOptions) (*Prepared, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Offline {
		o.Clients = nil
	}
	rel := o.Release
	if rel == nil {
		var err error
		if rel, err = config.Load(o.ReleaseFile); err != nil {
			return nil, &InputError{Err: err}
		}
	}
	fileNamespace := rel.Spec.Namespace
	if o.Namespace != "" {
		rel.Spec.Namespace = o.Namespace
	}
	for _, p := range o.CRDs {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		rel.Spec.Check.CRDs = append(rel.Spec.Check.CRDs, p)
	}
	if err := reachable(ctx, o.Clients); err != nil {
		return nil, err
	}
	emit(*o, event.StagePlan, event.TypeStageStarted, "rendering and planning release "+rel.Metadata.Name)
	var objs []manifest.Object
	var err error
	var skipped []manifest.Skipped
	if o.Offline { // no cluster and no network: remote kustomize bases are refused
		objs, err = manifest.LoadOffline(ctx, rel)
	} else {
		objs, skipped, err = renderSource(ctx, rel, o.mapper())
	}
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if err := o.reviewAccess(ctx, rel, objs); err != nil {
		return nil, err
	}
	if len(o.denied) > 0 {
		// A read or dry-run kship may not make would fail the plan with
		// the first one: plan and check offline, each missing permission a
		// blocking finding.
		o.Clients, o.Offline = nil, true
	}
	if err := o.readHistory(ctx, rel); err != nil {
		return nil, err
	}
	if err := stampConfigDigests(objs, o); err != nil {
		return nil, err
	}
	strat, err := o.prepareStrategy(ctx, rel, objs)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if strat != nil {
		objs = strat.Objects
	}
	mech, err := o.prepareMechanism(ctx, rel, objs)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if mech != nil {
		objs, o.fieldManager, o.upgradesClientSide = mech.Objects, mech.FieldManager, mech.UpgradesClientSide
	}
	pl, err := computePlan(ctx, *o, rel, objs)
	if err != nil {
		return nil, err
	}
	pl.Generated = o.Now().UTC()
	p := &Prepared{fileNamespace: fileNamespace, Release: rel, Objects: objs, Plan: pl, EvidenceDir: o.folder(rel.Metadata.Name), Redactor: evidence.NewRedactor(objs, o.Previous), ConfigKey: o.ConfigKey,
		mechanism: mech, strategy: strat, skipped: skipped}
	p.Redactor.AddRelease(rel)
	if mech != nil {
		pl.Mechanism = mech.Plan
	}
	if strat != nil {
		pl.Strategy = strat.Steps
	}
	if err := writePlan(p, *o); err != nil {
		return p, err
	}
	emit(*o, event.StagePlan, event.TypeStageFinished, planSummary(pl))
	return p, nil
}

// stampConfigDigests stamps the digest of the config each workload
// consumes into its pod template (configdigest), once, before every check
// and the plan, so they see what deploy applies; a release without a key
// gets a new one.
func stampConfigDigests(objs []manifest.Object, o *PrepareOptions) error {
	if o.ConfigKey == nil {
		k, err := configdigest.NewKey()
		if err != nil {
			return err
		}
		o.ConfigKey = k
	}
	if err := configdigest.Stamp(objs, o.ConfigKey); err != nil {
		return &InputError{Err: err}
	}
	return nil
}

func computePlan(ctx context.Context, o PrepareOptions, rel *config.Release, objs []manifest.Object) (*plan.Plan, error) {
	if o.Clients == nil {
		return plan.Offline(rel, objs), nil
	}
	pl, err := (&plan.Planner{Clients: o.Clients, PreviousRevision: o.PreviousRevision, ForceConflicts: o.ForceConflicts,
		FieldManager: o.fieldManager, UpgradesClientSide: o.upgradesClientSide}).Compute(ctx, rel, objs, o.Previous)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if err := unknownKinds(o.Clients.Mapper, pl); err != nil {
		return nil, err
	}
	return pl, nil
}

// unknownKinds turns objects whose kind the cluster serves in no version
// (and no CRD of the bundle defines) into one input error naming each
// file and line. A kind served in another version is a check failure
// instead (an API version to update), not bad input.
func unknownKinds(mapper meta.RESTMapper, pl *plan.Plan) error {
	var errs []error
	for _, c := range pl.Changes {
		if c.DryRun.Mode != plan.DryRunNotServed {
			continue
		}
		gk := c.Ref
		if _, err := mapper.RESTMappings(schemaGK(gk)); err == nil {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: unknown kind %s (apiVersion %s): the cluster serves no such kind and no CustomResourceDefinition in this release defines it; check apiVersion and kind, or add the CRD",
			c.Source, c.Ref.Kind, c.APIVersion))
	}
	if len(errs) == 0 {
		return nil
	}
	return &InputError{Err: errors.Join(errs...)}
}

// reachable asks the API server for its version, so an unreachable cluster
// or refused credentials are one clear error before anything else.
func reachable(ctx context.Context, c *kube.Clients) error {
	if c == nil {
		return nil
	}
	if _, err := c.Typed.Discovery().ServerVersion(); err != nil {
		return &InputError{Err: fmt.Errorf("cannot reach the cluster at %s: %w (check --kubeconfig and --context, or use --offline)", c.Config.Host, err)}
	}
	return ctx.Err()
}

// readHistory fills Previous and PreviousRevision from the release's
// history the way deploy does (record.Live, record.Restorable).
func (o *PrepareOptions) readHistory(ctx context.Context, rel *config.Release) error {
	if !o.ReadHistory || o.Previous != nil || o.Clients == nil {
		return nil
	}
	revs, err := record.NewReader(o.Clients.Typed).List(ctx, rel.Spec.Namespace, rel.Metadata.Name)
	if err != nil {
		return &InputError{Err: fmt.Errorf("release %s: read its history in namespace %s: %w", rel.Metadata.Name, rel.Spec.Namespace, err)}
	}
	o.Previous = record.Live(revs)
	o.ConfigKey = record.ConfigKey(revs)
	if prev := record.Restorable(revs); prev != nil {
		o.PreviousRevision = prev.Number
	}
	return nil
}

// addVerifyTargetChecks probes what Verify will send to (package probe):
// online, each smoke host and Prometheus; offline, only that every URL and
// address expands, and a warning names what was not probed.
func addVerifyTargetChecks(ctx context.Context, r *validate.Report, rel *config.Release, objs []manifest.Object, o PrepareOptions) {
	in := probe.Input{Release: rel, File: releaseFileName(rel, o.ReleaseFile), Revision: o.PreviousRevision + 1}
	if c := o.liveClients(); c != nil {
		cur := currentVars(ctx, c, rel, o.PreviousRevision, objs)
		in.Current = &cur
	}
	if o.Offline {
		getenv := (func(string) (string, bool))(nil)
		if o.Prober != nil {
			getenv = o.Prober.Getenv
		}
		r.Add(probe.Offline(in, getenv)...)
		return
	}
	pr := o.Prober
	if pr == nil {
		pr = &probe.Prober{Now: o.Now}
	}
	r.Add(pr.Probe(ctx, in)...)
}

// currentVars are the gates' template variables of the revision running
// now (its number, the pod-template-hashes of its workloads' current
// pods): what a baseline is measured with, by check and by deploy just
// before the rollout. Without a cluster, or when the pods cannot be
// listed, it has no hashes.
func currentVars(ctx context.Context, c *kube.Clients, rel *config.Release, previous int, objs []manifest.Object) config.QueryVars {
	vars := config.QueryVars{Namespace: rel.Spec.Namespace, Release: rel.Metadata.Name, Revision: previous}
	if c == nil || c.Typed == nil {
		return vars
	}
	if pods, err := rollout.RevisionPods(ctx, c.Typed, rel.Spec.Namespace, objs); err == nil {
		vars.PodTemplateHashes = pods.Hashes
	}
	return vars
}

// releaseFileName is the release file as check items name it: relative to
// the release's folder, like the sources' files.
func releaseFileName(rel *config.Release, file string) string {
	if file == "" {
		return "kship.yaml"
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return file
	}
	if r, err := filepath.Rel(rel.Dir, abs); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return file
}

func (o PrepareOptions) liveClients() *kube.Clients {
	if o.Offline {
		return nil
	}
	return o.Clients
}

func (o PrepareOptions) mapper() meta.RESTMapper {
	if o.Clients == nil {
		return nil
	}
	return o.Clients.Mapper
}

func emit(o PrepareOptions, st event.Stage, t event.Type, msg string) { emitData(o, st, t, msg, nil) }

func emitData(o PrepareOptions, st event.Stage, t event.Type, msg string, data event.Payload) {
	if o.Sink == nil {
		return
	}
	o.Sink.Emit(event.Event{Time: o.Now(), Stage: st, Type: t, Message: msg, Data: data})
}

func planSummary(p *plan.Plan) string {
	s := fmt.Sprintf("%d to create, %d to update, %d unchanged, %d to prune; %d risks; %d dry-run failures",
		p.Counts[plan.ActionCreate], p.Counts[plan.ActionUpdate], p.Counts[plan.ActionUnchanged],
		p.Counts[plan.ActionPrune], len(p.Risks), len(p.Failed()))
	if len(p.Restarts) > 3 {
		return s + fmt.Sprintf("; %d workloads restart for config changes (see rollout-plan.md)", len(p.Restarts))
	}
	for _, r := range p.Restarts {
		s += "; " + r.String()
	}
	return s
}

func prepareSummary(r *validate.Report) string {
	verdict := "nothing blocks"
	if r.Blocking() {
		verdict = "blocked"
	}
	return fmt.Sprintf("%s: %d failed, %d warnings, %d passed", verdict, r.Count(validate.Fail), r.Count(validate.Warn), r.Count(validate.Pass))
}
