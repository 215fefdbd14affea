package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/view"
)

// RollbackOptions are the flags of `kship rollback`.
type RollbackOptions struct {
	g           *GlobalOptions
	ToRevision  int
	Drill       bool
	ForceUnlock bool
}

// NewCmdRollback restores an earlier revision of a release, or runs a
// rollback drill.
func NewCmdRollback(g *GlobalOptions) *cobra.Command {
	o := &RollbackOptions{g: g}
	cmd := &cobra.Command{
		Use:   "rollback NAME [--to-revision N] [--drill]",
		Short: "restore an earlier revision of a release exactly (config and Secrets included) and verify it",
		Long: `Rollback re-applies a stored revision's manifests exactly, deletes what the current
revision added, waits with the failure detector, re-runs the smoke checks and gates,
and records the rollback as a new revision. Without --to-revision it restores the newest
earlier revision that was deployed; a release with none is removed.

--drill rolls back, verifies, rolls forward again and verifies, and records drill
evidence (refused in namespaces labelled production). Exit 0 verified, 2 refused,
4 failed, 5 not verified.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.Run(cmd, args[0]) },
	}
	cmd.Flags().IntVar(&o.ToRevision, "to-revision", 0, "revision to restore (default: the newest earlier deployed revision)")
	cmd.Flags().BoolVar(&o.Drill, "drill", false, "roll back and forward again, recording drill evidence (non-production only)")
	cmd.Flags().BoolVar(&o.ForceUnlock, "force-unlock", false, "take the release lock even if another kship holds it")
	return cmd
}

// Run rolls back.
func (o *RollbackOptions) Run(cmd *cobra.Command, name string) error {
	clients, ns, err := o.g.target()
	if err != nil {
		return err
	}
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	v := view.New(cmd.OutOrStdout(), view.ModeFor(o.g.Output, cmd.OutOrStdout()), time.Now())
	stopTick := v.Tick()
	out, err := release.Rollback(ctx, release.RollbackOptions{
		Name: name, Namespace: ns, ToRevision: o.ToRevision, Drill: o.Drill, Clients: clients,
		EvidenceDir: o.g.EvidenceDir, ForceUnlock: o.ForceUnlock, Sink: v,
	})
	stopTick()
	kind := "rollback"
	if o.Drill {
		kind = "rollback drill"
	}
	return finish(v, kind, out, err)
}
