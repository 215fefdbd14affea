// Package cli holds kship's commands. Commands are thin and of one shape
// (the GitHub CLI's pkg/cmd layout): each has an Options struct and a
// NewCmdX(f *Factory, runF func(*XOptions) error) constructor that parses
// the flags into the options, validates them, and calls runF (a test's
// seam) or the options' Run, which calls the package that does the work.
// Errors are mapped to exit codes in one place (ExitCode).
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/exitcode"
)

// Version is kship's version, stamped at build time:
// -ldflags "-X github.com/kship/kship/internal/cli.Version=v1.2.3" (make
// build does it from git describe).
var Version = "dev"

// version is the stamped Version, else the module version `go install
// ...@v1.2.3` records, else "dev".
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(Version, bi)
}

// versionFrom is the stamped version v, else the module version of a
// go install, else for a plain go build in a git work tree "dev+" the
// commit it was built from (12 digits, "-dirty" with changes not
// committed), so evidence names the code even of an unstamped binary.
func versionFrom(v string, bi *debug.BuildInfo) string {
	if v != "dev" || bi == nil {
		return v
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if len(rev) >= 12 {
		return v + "+" + rev[:12] + dirty
	}
	return v
}

// Main runs kship with os.Args and returns the process exit code.
func Main() int {
	return runRoot(NewCmdRoot(NewFactory()), os.Stderr)
}

// runRoot executes root and returns the exit code, writing the error to
// stderr unless the command's view printed it already (printed).
func runRoot(root *cobra.Command, stderr io.Writer) int {
	if err := root.Execute(); err != nil {
		if !printed(err) {
			fmt.Fprintln(stderr, "error:", err)
		}
		return ExitCode(err)
	}
	return exitcode.OK
}

// NewCmdRoot builds the kship command tree on f.
func NewCmdRoot(f *Factory) *cobra.Command {
	// Each command registers itself here, one per line.
	return newRoot(f,
		NewCmdVersion(f, nil),
		NewCmdInit(f, nil),
		NewCmdPlan(f, nil),
		NewCmdCheck(f, nil),
		NewCmdDeploy(f, nil),
		NewCmdRollback(f, nil),
		NewCmdPromote(f, nil),
		NewCmdAbort(f, nil),
		NewCmdStatus(f, nil),
		NewCmdHistory(f, nil),
		NewCmdRBAC(f, nil),
		NewCmdMCP(f, nil),
		NewCmdApprove(f, nil),
	)
}

// newRoot is the root command with the shared flags, --version and
// completion, holding cmds (tests give it one command built with its
// seam).
func newRoot(f *Factory, cmds ...*cobra.Command) *cobra.Command {
	root := &cobra.Command{
		Use:           "kship",
		Short:         "kship ships a change to Kubernetes safely: plan, prepare, rollout, verify, stabilize, rollback",
		Long:          "kship ships a change to Kubernetes safely: plan, prepare, rollout, verify, stabilize, rollback.\n\n" + exitCodesHelp(),
		Version:       f.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("kship {{.Version}}\n")
	f.AddFlags(root.PersistentFlags())
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return f.Validate() }
	registerFlagCompletions(root, f)
	root.AddCommand(cmds...)
	return root
}

// exitCodesHelp lists the exit codes for the root command's help.
func exitCodesHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:")
	for _, c := range exitcode.All {
		fmt.Fprintf(&b, "\n  %d  %s", c, exitcode.Meaning(c))
	}
	return b.String()
}

// VersionOptions are the options of `kship version`.
type VersionOptions struct {
	Factory *Factory
	Out     io.Writer
}

// NewCmdVersion prints kship's version (as kship --version does). runF,
// when not nil, gets the parsed options instead of Run.
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	o := &VersionOptions{Factory: f}
	return &cobra.Command{
		Use:   "version",
		Short: "print kship's version",
		Args:  cobra.NoArgs,
		RunE:  seam(o, &o.Out, runF, o.Run),
	}
}

// Run prints the version.
func (o *VersionOptions) Run(context.Context) error {
	_, err := fmt.Fprintf(o.Out, "kship %s\n", o.Factory.Version)
	return err
}

// seam is a command's RunE: it points the options' output at the
// command's, then calls runF, a test's seam, when it is set, else run.
func seam[O any](o *O, out *io.Writer, runF func(*O) error, run func(context.Context) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		*out = cmd.OutOrStdout()
		if runF != nil {
			return runF(o)
		}
		return run(cmd.Context())
	}
}
