// Package cli holds kship's commands. Commands are thin: each parses its
// flags into an Options struct and calls the package that does the work;
// errors are mapped to exit codes in one place (Main).
package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// Version is kship's version, set at build time with -ldflags.
var Version = "dev"

// Main runs kship with os.Args and returns the process exit code.
func Main() int {
	root := NewCmdRoot()
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return ExitCode(err)
	}
	return 0
}

// NewCmdRoot builds the kship command tree.
func NewCmdRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "kship",
		Short:         "kship ships a change to Kubernetes safely: plan, prepare, rollout, verify, stabilize, rollback",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	g := &GlobalOptions{}
	g.AddTo(root)
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return g.Validate() }
	root.AddCommand(NewCmdVersion())
	root.AddCommand(NewCmdInit(g))
	// Each command registers itself here, one line each.
	root.AddCommand(NewCmdPlan(g))
	root.AddCommand(NewCmdCheck(g))
	root.AddCommand(NewCmdDeploy(g))
	root.AddCommand(NewCmdRollback(g))
	root.AddCommand(NewCmdStatus(g))
	root.AddCommand(NewCmdHistory(g))
	return root
}

// NewCmdVersion prints kship's version.
func NewCmdVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print kship's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "kship %s\n", Version)
			return err
		},
	}
}
