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
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Number, r.Outcome, r.StartedAt.UTC().Format("2006-01-02 15:04:05"),
			dur, imagesColumn(r.Images), byColumn(r.By), truncate(r.Message, 80), r.EvidenceDir)
	}
	tw.Flush()
}

// byColumn is who ran a revision as the table shows it: user@host, at most
// 32 characters; the process, boot and PID namespace that make the lock
// holder exact are in -o json and the revision's evidence.
func byColumn(by string) string {
	if i := strings.Index(by, " pid "); i > 0 {
		by = by[:i]
	}
	if by == "" {
		return "-"
	}
	return truncate(by, 32)
}

// imagesColumn is a revision's images as the table shows them: the first
// three, then how many more (-o json lists every one).
func imagesColumn(images []string) string {
	switch {
	case len(images) == 0:
		return "-"
	case len(images) > 3:
		return fmt.Sprintf("%s (+%d more)", strings.Join(images[:3], ","), len(images)-3)
	}
	return strings.Join(images, ",")
}

// truncate cuts s to at most n characters, the last one "…" when cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
