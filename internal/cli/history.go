package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
)

// HistoryOptions are the options of `kship history`.
type HistoryOptions ReadOptions

// NewCmdHistory lists a release's revisions with outcome and evidence
// path. runF, when not nil, gets the parsed options instead of Run.
func NewCmdHistory(f *Factory, runF func(*HistoryOptions) error) *cobra.Command {
	o := &HistoryOptions{Factory: f}
	return newReadCmd((*ReadOptions)(o), "history NAME | -f kship.yaml", "list a release's revisions with outcome and evidence path",
		seam(o, &o.Out, runF, o.Run))
}

// Run lists and prints the revisions; a release without revisions in its
// namespace is an error (exit 1) naming where kship looked.
func (o *HistoryOptions) Run(ctx context.Context) error {
	return readRelease(ctx, (*ReadOptions)(o), func(ctx context.Context, c *kube.Clients, t target) ([]release.RevisionInfo, bool, error) {
		revs, err := release.History(ctx, c, t.Namespace, t.Name)
		return revs, len(revs) > 0, err
	}, printHistory)
}

// printHistory is the human table of revisions, newest first.
func printHistory(w io.Writer, revs []release.RevisionInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REVISION\tOUTCOME\tSTARTED\tDURATION\tIMAGES\tBY\tMESSAGE\tEVIDENCE")
	for _, r := range revs {
		dur := "-"
		if !r.FinishedAt.IsZero() && !r.StartedAt.IsZero() {
			dur = r.FinishedAt.Sub(r.StartedAt).Round(time.Second).String()
		}
		images := strings.Join(r.Images, ",")
		if images == "" {
			images = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Number, r.Outcome, r.StartedAt.UTC().Format("2006-01-02 15:04:05"),
			dur, images, r.By, truncate(r.Message, 80), r.EvidenceDir)
	}
	tw.Flush()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
