package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/release"
)

// NewCmdHistory lists a release's revisions with outcome and evidence path.
func NewCmdHistory(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "history NAME",
		Short: "list a release's revisions with outcome and evidence path",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clients, ns, err := g.target()
			if err != nil {
				return err
			}
			revs, err := release.History(cmd.Context(), clients, ns, args[0])
			if err != nil {
				return &ExitError{Code: ExitInput, Err: err}
			}
			if g.Output == OutputJSON {
				return writeJSON(cmd.OutOrStdout(), revs)
			}
			if len(revs) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "release %s/%s has no revisions\n", ns, args[0])
				return nil
			}
			printHistory(cmd.OutOrStdout(), revs)
			return nil
		},
	}
}

// printHistory is the human table of revisions, newest first.
func printHistory(w io.Writer, revs []release.RevisionInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REVISION\tOUTCOME\tSTARTED\tDURATION\tBY\tMESSAGE\tEVIDENCE")
	for _, r := range revs {
		dur := "-"
		if !r.FinishedAt.IsZero() && !r.StartedAt.IsZero() {
			dur = r.FinishedAt.Sub(r.StartedAt).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Number, r.Outcome, r.StartedAt.UTC().Format("2006-01-02 15:04:05"),
			dur, r.By, truncate(r.Message, 80), r.EvidenceDir)
	}
	tw.Flush()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
