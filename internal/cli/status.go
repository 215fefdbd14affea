package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/release"
)

// NewCmdStatus reports a release's state: current revision, state, last
// outcome and the lock, including a deploy whose process died.
func NewCmdStatus(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "status NAME",
		Short: "show a release's current revision, state, last outcome and lock",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clients, ns, err := g.target()
			if err != nil {
				return err
			}
			st, err := release.Status(cmd.Context(), clients, ns, args[0], time.Now())
			if err != nil {
				return &ExitError{Code: ExitInput, Err: err}
			}
			if g.Output == OutputJSON {
				return writeJSON(cmd.OutOrStdout(), st)
			}
			printStatus(cmd.OutOrStdout(), st)
			return nil
		},
	}
}

// printStatus is the human view of a status report.
func printStatus(w io.Writer, st *release.StatusReport) {
	fmt.Fprintf(w, "release %s in namespace %s: %s\n", st.Release, st.Namespace, st.State)
	fmt.Fprintf(w, "  %s\n", st.Message)
	if d := st.Deployed; d != nil {
		fmt.Fprintf(w, "  deployed revision: %d (since %s)\n", d.Number, d.FinishedAt.UTC().Format(time.RFC3339))
	} else if st.Latest != nil {
		fmt.Fprintln(w, "  deployed revision: none")
	}
	if l := st.Latest; l != nil {
		fmt.Fprintf(w, "  latest revision:   %d %s, by %s, started %s\n", l.Number, l.Outcome, l.By, l.StartedAt.UTC().Format(time.RFC3339))
		if l.EvidenceDir != "" {
			fmt.Fprintf(w, "  evidence:          %s\n", l.EvidenceDir)
		}
	}
	switch {
	case st.Lock == nil:
		fmt.Fprintln(w, "  lock:              free")
	case st.LockExpired:
		fmt.Fprintf(w, "  lock:              expired: held by %s since %s, expired at %s\n", st.Lock.Identity,
			st.Lock.Since.UTC().Format(time.RFC3339), st.Lock.ExpiresAt().UTC().Format(time.RFC3339))
	default:
		fmt.Fprintf(w, "  lock:              held by %s since %s, expires at %s unless renewed\n", st.Lock.Identity,
			st.Lock.Since.UTC().Format(time.RFC3339), st.Lock.ExpiresAt().UTC().Format(time.RFC3339))
	}
}
