package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/release"
)

// ContinueOptions are the options of `kship promote` and `kship abort`.
type ContinueOptions struct {
	Factory *Factory
	// Release is NAME or -f kship.yaml.
	Release     ReleaseRef
	ForceUnlock bool
	// Abort rolls the paused revision back instead of promoting it.
	Abort bool
	Out   io.Writer
}

// NewCmdPromote continues a paused release. runF, when not nil, gets the
// parsed options instead of Run.
func NewCmdPromote(f *Factory, runF func(*ContinueOptions) error) *cobra.Command {
	o := &ContinueOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "promote NAME | -f kship.yaml",
		Short: "continue a paused release from its pause step, then verify and stabilize it",
		Long: `Promote continues a revision that a pause step without a duration stopped
(kship deploy exited 6, kship status says paused): under the release lock, the
strategy runs the steps after the pause (a canary's next weights and analyses) and
promotes, then Verify and Stabilize run as for any release, and any failure rolls
back to the previous revision. Exit codes are deploy's: 0 verified, 3 failed and
rolled back, 4 rollback failed, 5 not verified, 6 paused again at a later step; 2
when the release is not paused (nothing changed).`,
		RunE: seam(o, &o.Out, runF, o.Run),
	}
	return continueFlags(cmd, f, o)
}

// NewCmdAbort rolls a paused release back. runF, when not nil, gets the
// parsed options instead of Run.
func NewCmdAbort(f *Factory, runF func(*ContinueOptions) error) *cobra.Command {
	o := &ContinueOptions{Factory: f, Abort: true}
	cmd := &cobra.Command{
		Use:   "abort NAME | -f kship.yaml",
		Short: "roll a paused release back: remove what runs beside the previous revision and verify it",
		Long: `Abort rolls back a revision that a pause step stopped: under the release lock, the
strategy removes what it runs beside the previous revision (a canary's Deployment,
waiting until its pods are gone; stable never changed), then the previous revision
is restored exactly and verified as after any failed release. Exit 3 when the
rollback is verified (the release did not ship), 4 when it failed (the revision
stays paused if the canary could not be removed: run abort again), 2 when the
release is not paused (nothing changed).`,
		RunE: seam(o, &o.Out, runF, o.Run),
	}
	return continueFlags(cmd, f, o)
}

func continueFlags(cmd *cobra.Command, f *Factory, o *ContinueOptions) *cobra.Command {
	addReleaseRef(cmd, f, &o.Release)
	cmd.Flags().BoolVar(&o.ForceUnlock, "force-unlock", false, "take the release lock even if another kship holds it")
	return cmd
}

// Run promotes or aborts.
func (o *ContinueOptions) Run(ctx context.Context) error {
	t, clients, err := o.Release.connect(ctx, o.Factory)
	if err != nil {
		return err
	}
	run, kind := release.Promote, "promote"
	if o.Abort {
		run, kind = release.Abort, "abort"
	}
	return execute(ctx, o.Factory, o.Out, clients, o.ForceUnlock, kind, func(ctx context.Context, ro release.RunOptions) (*event.Outcome, error) {
		return run(ctx, release.ContinueOptions{Name: t.Name, Namespace: t.Namespace, RunOptions: ro})
	})
}
