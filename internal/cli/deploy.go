package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/view"
)

// DeployOptions are the options of `kship deploy`.
type DeployOptions struct {
	Factory *Factory
	// File is the release file (-f).
	File           string
	ForceConflicts bool
	ForceUnlock    bool
	Out            io.Writer
}

// NewCmdDeploy runs the whole workflow: plan, prepare, rollout, verify,
// stabilize, and rollback on any trigger. runF, when not nil, gets the
// parsed options instead of Run.
func NewCmdDeploy(f *Factory, runF func(*DeployOptions) error) *cobra.Command {
	o := &DeployOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "deploy -f kship.yaml",
		Short: "plan, prepare, roll out, verify and stabilize a release; roll back on any trigger",
		Long: `Deploy runs the whole workflow for a release file and exits with:
  0 verified, 2 refused before any write, 3 failed and rolled back (rollback verified),
  4 failed and the rollback failed or was not done, 5 applied but not verified.

An interrupt (SIGINT, Ctrl-C, or SIGTERM) does what its stage allows:
  plan, prepare   stops before the first write; nothing is applied (exit 2)
  rollout, verify the interrupt is the rollback trigger: the previous revision
                  is restored and verified (exit 3)
  stabilize       the new revision passed verify and is left running, recorded
                  deployed and NOT verified (exit 5)
  rollback        the rollback goes on; a second interrupt stops it, recorded
                  as an interrupted rollback (exit 4; kship status says what runs)
A second interrupt in any stage stops the run at once and records its state.`,
		Args: cobra.NoArgs,
		RunE: seam(o, &o.Out, runF, o.Run),
	}
	addFilenameFlag(cmd, &o.File, defaultReleaseFile, "release file")
	cmd.Flags().BoolVar(&o.ForceConflicts, "force-conflicts", false, "take over fields another field manager owns")
	cmd.Flags().BoolVar(&o.ForceUnlock, "force-unlock", false, "take the release lock even if another kship holds it")
	return cmd
}

// Run deploys.
func (o *DeployOptions) Run(ctx context.Context) error {
	if err := releaseFileExists(o.File); err != nil {
		return err
	}
	clients, err := o.Factory.Clients(ctx)
	if err != nil {
		return err
	}
	return execute(ctx, o.Factory, o.Out, clients, o.ForceUnlock, "deploy", func(ctx context.Context, ro release.RunOptions) (*event.Outcome, error) {
		return release.Deploy(ctx, release.DeployOptions{
			ReleaseFile: o.File, Namespace: o.Factory.Namespace(), ForceConflicts: o.ForceConflicts, RunOptions: ro,
		})
	})
}

// execute runs one command that writes (deploy, rollback, promote, abort)
// as they all run: SIGINT and SIGTERM handed to the executor as its
// interrupts (what each does per stage: release's interrupt.go), with the
// live view as the event sink and ticking, the executor's options built
// once (runOptions), and the outcome printed by finish under kind.
func execute(ctx context.Context, f *Factory, w io.Writer, clients *kube.Clients, forceUnlock bool, kind string,
	run func(context.Context, release.RunOptions) (*event.Outcome, error)) error {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	v := view.New(w, view.ModeFor(f.Output, w), f.Now())
	stopTick := v.Tick()
	ro := runOptions(f, clients, v, forceUnlock)
	ro.Interrupts = sigs
	out, err := run(ctx, ro)
	stopTick()
	return finish(v, kind, out, err)
}

// runOptions are the executor's options every command that writes (deploy,
// rollback, promote, abort) passes alike: the cluster, the evidence folder,
// the view as the event sink, the catalog and kship's version.
func runOptions(f *Factory, clients *kube.Clients, sink event.Sink, forceUnlock bool) release.RunOptions {
	return release.RunOptions{Clients: clients, EvidenceDir: f.EvidenceDir, ForceUnlock: forceUnlock, Sink: sink, Catalog: Catalog(), Version: f.Version}
}

// finish prints an outcome; ExitCode maps it to the exit code.
func finish(v *view.View, kind string, out *event.Outcome, err error) error {
	if out == nil {
		return inputErr(err)
	}
	v.Result(out, v.Summary(kind, out))
	if err == nil && out.ExitCode == exitcode.OK {
		return nil
	}
	return &outcomeError{out: out, err: err}
}

// signalContext ends on SIGINT or SIGTERM, so an interrupted run records
// its state before exiting.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.TODO()
	}
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}
