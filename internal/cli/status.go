package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
)

// StatusOptions are the options of `kship status`.
type StatusOptions ReadOptions

// NewCmdStatus reports a release's state: current revision, state, last
// outcome and the lock, including a deploy whose process died. runF, when
// not nil, gets the parsed options instead of Run.
func NewCmdStatus(f *Factory, runF func(*StatusOptions) error) *cobra.Command {
	o := &StatusOptions{Factory: f}
	return newReadCmd((*ReadOptions)(o), "status NAME | -f kship.yaml", "show a release's current revision, state, last outcome and lock",
		seam(o, &o.Out, runF, o.Run))
}

// Run reads and prints the status; a release with no revision and no lock
// in its namespace is an error (exit 1) naming where kship looked.
func (o *StatusOptions) Run(ctx context.Context) error {
	return readRelease(ctx, (*ReadOptions)(o), func(ctx context.Context, c *kube.Clients, t target) (*release.StatusReport, bool, error) {
		st, err := release.StatusWith(ctx, c, Catalog(), t.Namespace, t.Name, o.Factory.Now())
		return st, err == nil && (st.Latest != nil || st.Lock != nil), err
	}, printStatus)
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
	if st.Drift != "" {
		fmt.Fprintf(w, "  NOT what runs:     %s\n", st.Drift)
	}
	if l := st.Latest; l != nil {
		fmt.Fprintf(w, "  latest revision:   %d %s, by %s, started %s\n", l.Number, l.Outcome, l.By, l.StartedAt.UTC().Format(time.RFC3339))
		if l.EvidenceDir != "" {
			fmt.Fprintf(w, "  evidence:          %s\n", l.EvidenceDir)
		}
	}
	if p := st.Paused; p != nil {
		fmt.Fprintf(w, "  paused:            step %d of %d, weight %d%%, since %s\n", p.Step, p.Steps, p.Weight, p.Since.UTC().Format(time.RFC3339))
		for _, wl := range p.Workloads {
			if wl.Error != "" {
				fmt.Fprintf(w, "    %-7s %s: %s\n", wl.Role, wl.Object, wl.Error)
				continue
			}
			fmt.Fprintf(w, "    %-7s %s: %d/%d pods ready, %d available, %s\n", wl.Role, wl.Object, wl.Ready, wl.Replicas, wl.Available, strings.Join(wl.Images, ", "))
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
