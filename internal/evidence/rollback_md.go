package evidence

import (
	"fmt"
	"strings"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/manifest"
)

// RollbackSteps are the exact steps to roll one release attempt back.
type RollbackSteps struct {
	// Command is the kship command that rolls the release back.
	Command string `json:"command"`
	// TargetRevision is the revision a rollback restores; 0 means the
	// release had no previous revision and its rollback removes it.
	TargetRevision int `json:"targetRevision"`
	// ShowManifests is a shell command printing the target revision's
	// manifests from its revision Secret (empty without a target).
	ShowManifests string `json:"showManifests,omitempty"`
	// Delete are objects this attempt added that the target lacks.
	Delete []manifest.Ref `json:"delete,omitempty"`
	// Recreate are objects this attempt pruned; applying the target's
	// manifests recreates them.
	Recreate []manifest.Ref `json:"recreate,omitempty"`
	// DownJobs are the down Jobs of reversible migrations to run.
	DownJobs []string `json:"downJobs,omitempty"`
	// OwnManifests is a shell command printing this revision's manifests
	// (where the down Jobs are).
	OwnManifests string `json:"ownManifests,omitempty"`
	// Origin is what a rollback restores when kship has no earlier
	// revision but the mechanism keeps what ran before kship's first one
	// (another client's Helm revision; TargetRevision is 0); OriginCommand
	// restores it by hand with the mechanism's own rollback, which also
	// deletes what this revision added (Delete is empty).
	Origin        *event.Origin `json:"origin,omitempty"`
	OriginCommand string        `json:"originCommand,omitempty"`
}

// RollbackMarkdown renders rollback.md: how to roll this attempt back with
// kship and by hand with kubectl.
func RollbackMarkdown(b *Bundle) string {
	var s strings.Builder
	st := b.Rollback
	fmt.Fprintf(&s, "# Rollback of %s revision %d (namespace %s)\n\n", b.Release, b.Revision, b.Namespace)
	switch {
	case st.TargetRevision > 0:
		fmt.Fprintf(&s, "Rolling back restores revision %d exactly: every object it had, ConfigMaps and Secrets included; objects this revision pruned are recreated, objects it added are deleted.\n\n", st.TargetRevision)
	case st.Origin != nil:
		fmt.Fprintf(&s, "This is kship's first revision of a release another client wrote: rolling it back restores %s, what ran before kship, with the mechanism's own rollback (`%s`), which puts back every object that revision had, ConfigMaps and Secrets included, and deletes the objects this revision added. Nothing is removed that ran before kship.\n\n", st.Origin, st.OriginCommand)
	default:
		s.WriteString("This is the first revision of the release: rolling it back deletes every object it created.\n\n")
	}
	s.WriteString("## With kship\n\n```sh\n" + st.Command + "\n```\n\n")
	s.WriteString("kship waits for readiness with the failure detector, re-runs the smoke checks and gates, and records the rollback as a new revision with its own evidence.\n\n")
	if st.Origin != nil {
		s.WriteString("## By hand with helm and kubectl\n\n```sh\n")
	} else {
		s.WriteString("## By hand with kubectl\n\n```sh\n")
	}
	step := 1
	for _, j := range st.DownJobs {
		fmt.Fprintf(&s, "# %d. run the down step of the reversible migration: create Job %s/%s from this revision's manifests\n", step, b.Namespace, j)
		fmt.Fprintf(&s, "#    (print them with: %s)\n", st.OwnManifests)
		fmt.Fprintf(&s, "kubectl -n %s create -f job-%s.yaml   # the Job document saved from those manifests\n", b.Namespace, j)
		fmt.Fprintf(&s, "kubectl -n %s wait --for=condition=complete job/%s --timeout=5m\n", b.Namespace, j)
		step++
	}
	if st.Origin != nil {
		fmt.Fprintf(&s, "# %d. restore %s, what ran before kship (it also deletes what this revision added)\n%s\n", step, st.Origin, st.OriginCommand)
		step++
	}
	if st.TargetRevision > 0 {
		fmt.Fprintf(&s, "# %d. re-apply revision %d's manifests (stored in its revision Secret)\n", step, st.TargetRevision)
		fmt.Fprintf(&s, "%s \\\n  | kubectl apply --server-side --force-conflicts --field-manager=kship -f -\n", st.ShowManifests)
		step++
	}
	if len(st.Delete) > 0 {
		fmt.Fprintf(&s, "# %d. delete what this revision added\n", step)
		for _, r := range st.Delete {
			s.WriteString(kubectlDelete(r) + "\n")
		}
		step++
	}
	fmt.Fprintf(&s, "# %d. wait for the restored workloads\n", step)
	fmt.Fprintf(&s, "kubectl -n %s get deploy,statefulset,daemonset\n", b.Namespace)
	s.WriteString("```\n")
	if len(st.Recreate) > 0 {
		s.WriteString("\nObjects this revision pruned, recreated by the re-apply above:\n\n")
		for _, r := range st.Recreate {
			fmt.Fprintf(&s, "- %s\n", r)
		}
	}
	return s.String()
}

// kubectlDelete is the kubectl command deleting one object.
func kubectlDelete(r manifest.Ref) string {
	kind := strings.ToLower(r.Kind)
	if r.Group != "" {
		kind += "." + r.Group
	}
	if r.Namespace == "" {
		return fmt.Sprintf("kubectl delete %s %s --ignore-not-found", kind, r.Name)
	}
	return fmt.Sprintf("kubectl -n %s delete %s %s --ignore-not-found", r.Namespace, kind, r.Name)
}
