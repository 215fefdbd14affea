package release

import (
	"context"
	"fmt"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/manifest"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/rollback"
	"github.com/kship/kship/internal/rollout"
)

// StatusReport is what `kship status NAME` reports: the release's state
// in words, its newest and its deployed revision, and the lock.
type StatusReport struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	// State is one of: none, deploying, interrupted, deployed,
	// deployed-unverified?, failed, rolled-back.
	State string `json:"state"`
	// Message says the state in one sentence, with who, when and what to do.
	Message string `json:"message"`
	// Latest is the newest revision; Deployed the newest deployed one.
	Latest   *RevisionInfo  `json:"latest,omitempty"`
	Deployed *RevisionInfo  `json:"deployed,omitempty"`
	Lock     *record.Holder `json:"lock,omitempty"`
	// LockExpired is true when the lock's holder stopped renewing it.
	LockExpired bool `json:"lockExpired,omitempty"`
	// Paused is where a paused revision stopped and what its workloads
	// run now (state paused).
	Paused *PausedStatus `json:"paused,omitempty"`
	// Drift says that what the mechanism's own history has deployed is
	// not the revision kship's record names (a `helm rollback` run by
	// hand since kship's last revision), "" when they agree or the
	// mechanism keeps no history (RunningReader).
	Drift string `json:"drift,omitempty"`
}

// RunningReader is the optional part of a mechanism that keeps a history
// of its own (Helm's), for kship status: it says what runs when that is
// not kship revision rev ("" when it is).
type RunningReader interface {
	Running(ctx context.Context, rel *config.Release, ns string, rev int) (string, error)
}

// PausedStatus is a paused revision's step, weight and pods.
type PausedStatus struct {
	Strategy string `json:"strategy"`
	Step     int    `json:"step"`
	Steps    int    `json:"steps"`
	// Weight is the new version's share of ready pods, in percent.
	Weight  int       `json:"weight"`
	Message string    `json:"message"`
	Since   time.Time `json:"since"`
	// Workloads are the Deployments of the release and those the strategy
	// runs beside them, as the cluster has them now.
	Workloads []WorkloadPods `json:"workloads"`
}

// WorkloadPods is a Deployment's pods as the cluster has them now.
type WorkloadPods struct {
	Object string `json:"object"`
	// Role is "stable" for the release's own, "added" for one the
	// strategy runs beside it (the canary).
	Role      string   `json:"role"`
	Replicas  int32    `json:"replicas"`
	Ready     int32    `json:"ready"`
	Available int32    `json:"available"`
	Images    []string `json:"images,omitempty"`
	// Error says why it could not be read ("" when it was).
	Error string `json:"error,omitempty"`
}

// RevisionInfo is a revision without its manifests, for status and history.
type RevisionInfo struct {
	Number     int    `json:"revision"`
	Outcome    string `json:"outcome"`
	Message    string `json:"message,omitempty"`
	By         string `json:"by,omitempty"`
	Objects    int    `json:"objects"`
	RollbackOf int    `json:"rollbackOf,omitempty"`
	// RestoredOrigin is what a rollback revision restored when it was no
	// kship revision: another client's revision of the mechanism's history.
	RestoredOrigin *event.Origin `json:"restoredOrigin,omitempty"`
	// Unverified marks a deployed revision that runs but was not verified.
	Unverified     bool      `json:"unverified,omitempty"`
	StartedAt      time.Time `json:"startedAt"`
	FinishedAt     time.Time `json:"finishedAt,omitzero"`
	EvidenceDir    string    `json:"evidenceDir,omitempty"`
	EvidenceDigest string    `json:"evidenceDigest,omitempty"`
	// Images are the container images of the revision's workloads, each
	// once, sorted.
	Images []string `json:"images,omitempty"`
}

// Info summarises a revision.
func Info(rev *record.Revision) *RevisionInfo {
	if rev == nil {
		return nil
	}
	return &RevisionInfo{Number: rev.Number, Outcome: rev.Outcome, Message: rev.Message, By: rev.By,
		Objects: len(rev.Objects), RollbackOf: rev.RollbackOf, RestoredOrigin: rev.RestoredOrigin, Unverified: rev.Unverified, StartedAt: rev.StartedAt, FinishedAt: rev.FinishedAt,
		EvidenceDir: rev.EvidenceDir, EvidenceDigest: rev.EvidenceDigest, Images: imagesOf(rev.Objects)}
}

// imagesOf lists the distinct container images of objs, sorted.
func imagesOf(objs []manifest.Object) []string {
	seen := map[string]bool{}
	var out []string
	for _, i := range evidence.Images(objs) {
		if !seen[i.Image] {
			seen[i.Image] = true
			out = append(out, i.Image)
		}
	}
	sort.Strings(out)
	return out
}

// History lists a release's revisions, newest first.
func History(ctx context.Context, c *kube.Clients, ns, name string) ([]RevisionInfo, error) {
	revs, err := record.NewReader(c.Typed).List(ctx, ns, name)
	if err != nil {
		return nil, fmt.Errorf("release %s/%s history: %w", ns, name, err)
	}
	out := make([]RevisionInfo, 0, len(revs))
	for i := range revs {
		out = append(out, *Info(&revs[i]))
	}
	return evidence.Redacted(redactorOf(revs), out), nil
}

// redactorOf knows the Secrets and release-file credentials of every
// revision: what status and history print of stored messages goes through
// it, whichever kship wrote them.
func redactorOf(revs []record.Revision) *evidence.Redactor {
	red := &evidence.Redactor{}
	for i := range revs {
		red.AddObjects(revs[i].Objects)
		red.AddReleaseFile(revs[i].ReleaseFile)
	}
	return red
}

// Status reads a release's state from kship's record in the cluster; it
// writes nothing.
func Status(ctx context.Context, c *kube.Clients, ns, name string, now time.Time) (*StatusReport, error) {
	return StatusWith(ctx, c, Catalog{}, ns, name, now)
}

// StatusWith is Status that also asks the deployed revision's mechanism
// of cat whether its own history runs that revision (RunningReader): a
// Helm release rolled back by hand since says so in Drift and Message.
func StatusWith(ctx context.Context, c *kube.Clients, cat Catalog, ns, name string, now time.Time) (*StatusReport, error) {
	store := record.NewReader(c.Typed)
	revs, err := store.List(ctx, ns, name)
	if err != nil {
		return nil, fmt.Errorf("release %s/%s history: %w", ns, name, err)
	}
	lock, err := store.LockHolder(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	st := &StatusReport{Release: name, Namespace: ns, Lock: lock, LockExpired: lock != nil && lock.Expired(now)}
	if len(revs) == 0 {
		st.State, st.Message = "none", fmt.Sprintf("release %s/%s has no revisions", ns, name)
		return st, nil
	}
	latest := &revs[0]
	st.Latest, st.Deployed = Info(latest), Info(record.LastDeployed(revs))
	st.State, st.Message = describeState(latest, lock, now)
	if latest.Outcome == record.OutcomePaused && latest.Pause != nil {
		st.Paused = pausedStatus(ctx, c, latest.Pause)
	}
	if dep := record.LastDeployed(revs); dep != nil {
		st.Drift = cat.drift(ctx, c, dep, now)
	}
	if st.Drift != "" {
		st.Message += "; NOT what runs: " + st.Drift
	}
	return evidence.Redacted(redactorOf(revs), st), nil
}

// drift asks dep's mechanism whether its own history runs dep (""
// when it does, or keeps no history of its own).
func (cat Catalog) drift(ctx context.Context, c *kube.Clients, dep *record.Revision, now time.Time) string {
	rel := rollback.ReleaseOf(dep, nil)
	name, _ := seamNames(rel)
	build, ok := cat.Mechanisms[name]
	if !ok {
		return ""
	}
	rr, ok := build(rollout.Env{Clients: c, Sink: event.Discard, Now: func() time.Time { return now }}).(RunningReader)
	if !ok {
		return ""
	}
	msg, err := rr.Running(ctx, rel, dep.Namespace, dep.Number)
	if err != nil {
		return fmt.Sprintf("could not compare revision %d with the %s mechanism's own history: %v", dep.Number, name, err)
	}
	return msg
}

// describeState says in words what the newest revision's state is.
func describeState(latest *record.Revision, lock *record.Holder, now time.Time) (string, string) {
	doing := "deployed"
	if latest.RollbackOf > 0 {
		doing = fmt.Sprintf("rolled back (revision %d rolls back revision %d)", latest.Number, latest.RollbackOf)
	}
	switch {
	case latest.Outcome == record.OutcomePending && latest.RollbackOf > 0 && !record.Interrupted(latest, lock, now) && !record.HolderGone(lock.Identity):
		return "rolling-back", fmt.Sprintf("rolling back: revision %d (%s) is being recorded by %s since %s; lock renewed %s, expires %s",
			latest.Number, latest.Message, latest.By, ts(latest.StartedAt), ts(lock.RenewedAt), ts(lock.ExpiresAt()))
	case latest.Outcome == record.OutcomePending && !record.Interrupted(latest, lock, now) && !record.HolderGone(lock.Identity):
		return "deploying", fmt.Sprintf("deploying: revision %d is being deployed by %s since %s; lock renewed %s, expires %s",
			latest.Number, latest.By, ts(latest.StartedAt), ts(lock.RenewedAt), ts(lock.ExpiresAt()))
	case latest.Outcome == record.OutcomeInterrupted && latest.RollbackOf > 0:
		return "interrupted", fmt.Sprintf("interrupted: revision %d, by %s since %s: %s; %s. Recover with `kship rollback %s -n %s` or a new `kship deploy`",
			latest.Number, latest.By, ts(latest.StartedAt), latest.Message, lockWords(lock, now), latest.Release, latest.Namespace)
	case latest.Outcome == record.OutcomePending || latest.Outcome == record.OutcomeInterrupted:
		return "interrupted", fmt.Sprintf("interrupted: revision %d was being %s by %s since %s and its run died; %s. Recover with `kship rollback %s -n %s` or a new `kship deploy`",
			latest.Number, doing, latest.By, ts(latest.StartedAt), lockWords(lock, now), latest.Release, latest.Namespace)
	case latest.Outcome == record.OutcomePaused && latest.Pause != nil:
		p := latest.Pause
		return "paused", fmt.Sprintf("paused: revision %d at step %d of %d since %s: %s; continue with `kship promote %s -n %s`, or roll back with `kship abort %s -n %s`",
			latest.Number, p.Step, p.Steps, ts(p.At), p.Message, latest.Release, latest.Namespace, latest.Release, latest.Namespace)
	case latest.Outcome == record.OutcomeDeployed && latest.RollbackOf > 0:
		return "deployed", fmt.Sprintf("deployed: revision %d (a rollback of revision %d): %s", latest.Number, latest.RollbackOf, latest.Message)
	case latest.Outcome == record.OutcomeDeployed:
		return "deployed", fmt.Sprintf("deployed: revision %d: %s", latest.Number, latest.Message)
	default:
		return latest.Outcome, fmt.Sprintf("%s: revision %d: %s", latest.Outcome, latest.Number, latest.Message)
	}
}

// pausedStatus reads the pods of a paused revision's workloads.
func pausedStatus(ctx context.Context, c *kube.Clients, p *record.Pause) *PausedStatus {
	out := &PausedStatus{Strategy: p.Strategy, Step: p.Step, Steps: p.Steps, Weight: p.Weight, Message: p.Message, Since: p.At}
	add := func(ref manifest.Ref, role string) {
		w := WorkloadPods{Object: ref.String(), Role: role}
		d, err := c.Typed.AppsV1().Deployments(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			w.Error = err.Error()
			out.Workloads = append(out.Workloads, w)
			return
		}
		if d.Spec.Replicas != nil {
			w.Replicas = *d.Spec.Replicas
		}
		w.Ready, w.Available = d.Status.ReadyReplicas, d.Status.AvailableReplicas
		for _, ctr := range d.Spec.Template.Spec.Containers {
			w.Images = append(w.Images, ctr.Image)
		}
		out.Workloads = append(out.Workloads, w)
	}
	for _, ref := range p.Workloads {
		add(ref, "stable")
	}
	for _, ref := range p.Objects {
		add(ref, "added")
	}
	return out
}

// lockWords describes the lock for an interrupted revision.
func lockWords(lock *record.Holder, now time.Time) string {
	switch {
	case lock == nil:
		return "the lock is free"
	case lock.Expired(now):
		return fmt.Sprintf("its lock (held by %s) expired at %s", lock.Identity, ts(lock.ExpiresAt()))
	case record.HolderGone(lock.Identity):
		return fmt.Sprintf("its lock is still held by %s, a process that no longer exists on this host; the lock expires at %s, and kship deploy or rollback on this host takes it over at once", lock.Identity, ts(lock.ExpiresAt()))
	default:
		return fmt.Sprintf("the lock is held by %s and expires at %s unless renewed (or take it now with --force-unlock)", lock.Identity, ts(lock.ExpiresAt()))
	}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }
