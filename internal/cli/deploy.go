package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/view"
)

// DeployOptions are the flags of `kship deploy`.
type DeployOptions struct {
	g              *GlobalOptions
	File           string
	ForceConflicts bool
	ForceUnlock    bool
}

// NewCmdDeploy runs the whole workflow: plan, prepare, rollout, verify,
// stabilize, and rollback on any trigger.
func NewCmdDeploy(g *GlobalOptions) *cobra.Command {
	o := &DeployOptions{g: g}
	cmd := &cobra.Command{
		Use:   "deploy -f kship.yaml",
		Short: "plan, prepare, roll out, verify and stabilize a release; roll back on any trigger",
		Long: `Deploy runs the whole workflow for a release file and exits with:
  0 verified, 2 refused before any write, 3 failed and rolled back (rollback verified),
  4 failed and the rollback failed or was not done, 5 applied but not verified.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.Run(cmd) },
	}
	cmd.Flags().StringVarP(&o.File, "file", "f", "kship.yaml", "release file")
	cmd.Flags().BoolVar(&o.ForceConflicts, "force-conflicts", false, "take over fields another field manager owns")
	cmd.Flags().BoolVar(&o.ForceUnlock, "force-unlock", false, "take the release lock even if another kship holds it")
	return cmd
}

// Run deploys.
func (o *DeployOptions) Run(cmd *cobra.Command) error {
	clients, err := o.g.Clients()
	if err != nil {
		return &ExitError{Code: ExitInput, Err: err}
	}
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	v := view.New(cmd.OutOrStdout(), view.ModeFor(o.g.Output, cmd.OutOrStdout()), time.Now())
	stopTick := v.Tick()
	out, err := release.Deploy(ctx, release.DeployOptions{
		ReleaseFile: o.File, Clients: clients, EvidenceDir: o.g.EvidenceDir, Namespace: *o.g.Kube.Namespace,
		ForceConflicts: o.ForceConflicts, ForceUnlock: o.ForceUnlock, Sink: v,
	})
	stopTick()
	return finish(v, "deploy", out, err)
}

// finish prints an outcome and maps it to the exit code.
func finish(v *view.View, kind string, out *release.Outcome, err error) error {
	if out == nil {
		return &ExitError{Code: ExitInput, Err: err}
	}
	v.Result(out, view.Summary(kind, out))
	if err != nil {
		return &ExitError{Code: ExitRollbackBad, Err: err}
	}
	if out.ExitCode != ExitOK {
		return &ExitError{Code: out.ExitCode, Err: errors.New(out.Summary)}
	}
	return nil
}

// signalContext ends on SIGINT or SIGTERM, so an interrupted run records
// its state before exiting.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.TODO()
	}
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}
