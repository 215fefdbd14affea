package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/release"
)

// RollbackOptions are the options of `kship rollback`.
type RollbackOptions struct {
	Factory *Factory
	// Release is NAME or -f kship.yaml.
	Release     ReleaseRef
	ToRevision  int
	Drill       bool
	ForceUnlock bool
	Out         io.Writer
}

// NewCmdRollback restores an earlier revision of a release, or runs a
// rollback drill. runF, when not nil, gets the parsed options instead of
// Run.
func NewCmdRollback(f *Factory, runF func(*RollbackOptions) error) *cobra.Command {
	o := &RollbackOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "rollback NAME | -f kship.yaml [--to-revision N] [--drill]",
		Short: "restore an earlier revision of a release exactly (config and Secrets included) and verify it",
		Long: `Rollback re-applies a stored revision's manifests exactly, deletes what the current
revision added, waits with the failure detector, re-runs the smoke checks and gates,
and records the rollback as a new revision (pending before its first write). Without
--to-revision it restores the newest earlier deployed revision that differs from the
current one. A deployed release is never removed: with nothing different to go back
to, rollback says so and changes nothing (exit 2). Only a release that was never
deployed (its first run failed or was interrupted) is removed.

The release is NAME (in -n, or the kubeconfig context's namespace) or the one a
release file names (-f kship.yaml: its metadata.name and spec.namespace).

--drill rolls back, verifies, rolls forward again and verifies, and records drill
evidence (refused in namespaces labelled production). Exit 0 verified, 2 refused
(nothing changed), 4 failed (the revision rolled back from stays the deployed one),
5 restored and ready but not verified (checks inconclusive; the restored revision is
recorded as deployed, unverified).`,
		RunE: seam(o, &o.Out, runF, o.Run),
	}
	addReleaseRef(cmd, f, &o.Release)
	cmd.Flags().IntVar(&o.ToRevision, "to-revision", 0, "revision to restore (default: the newest earlier deployed revision)")
	cmd.Flags().BoolVar(&o.Drill, "drill", false, "roll back and forward again, recording drill evidence (non-production only)")
	cmd.Flags().BoolVar(&o.ForceUnlock, "force-unlock", false, "take the release lock even if another kship holds it")
	return cmd
}

// Run rolls back.
func (o *RollbackOptions) Run(ctx context.Context) error {
	t, clients, err := o.Release.connect(ctx, o.Factory)
	if err != nil {
		return err
	}
	kind := "rollback"
	if o.Drill {
		kind = "rollback drill"
	}
	return execute(ctx, o.Factory, o.Out, clients, o.ForceUnlock, kind, func(ctx context.Context, ro release.RunOptions) (*event.Outcome, error) {
		return release.Rollback(ctx, release.RollbackOptions{
			Name: t.Name, Namespace: t.Namespace, ToRevision: o.ToRevision, Drill: o.Drill, RunOptions: ro,
		})
	})
}
