package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/mcp"
)

// ApproveOptions are the options of `kship approve`.
type ApproveOptions struct {
	Factory *Factory
	PlanID  string
	// StateDir is the MCP server's state folder (--state-dir).
	StateDir string
	In       io.Reader
	Out      io.Writer
}

// NewCmdApprove makes the one-time approval code of one plan of the MCP
// server, for a human at a terminal: it shows the plan and asks to type
// the release's name. runF, when not nil, gets the parsed options instead
// of Run.
func NewCmdApprove(f *Factory, runF func(*ApproveOptions) error) *cobra.Command {
	o := &ApproveOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "approve PLAN-ID",
		Short: "approve one plan of kship mcp for a protected target: shows the plan, prints a one-time code for the agent",
		Long: `approve is for a human, outside MCP. It reads the plan the MCP server recorded (signed with
the server's key, in its state folder), shows what it does, asks you to type the release's
name, and prints a one-time code bound to that plan: the agent passes it as approval. The
code is refused for any other plan, after it was used once, and when the plan is stale.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.PlanID, o.In = args[0], cmd.InOrStdin()
			return seam(o, &o.Out, runF, o.Run)(cmd, args)
		},
	}
	cmd.Flags().StringVar(&o.StateDir, "state-dir", "", "the MCP server's state folder (default: "+mcp.DefaultStateDir()+")")
	return cmd
}

// Run shows the plan, asks for the release name and prints the code.
func (o *ApproveOptions) Run(context.Context) error {
	if o.StateDir == "" {
		o.StateDir = mcp.DefaultStateDir()
	}
	st, err := mcp.OpenState(o.StateDir, o.Factory.Now)
	if err != nil {
		return inputErr(err)
	}
	rec, err := st.LoadPlan(o.PlanID)
	if err != nil {
		return inputErr(err)
	}
	if now := o.Factory.Now(); now.After(rec.Expires) {
		return refused(fmt.Errorf("plan %s expired at %s: the agent must plan again", rec.ID, rec.Expires.UTC().Format(time.RFC3339)))
	}
	fmt.Fprintf(o.Out, "plan %s: %s of release %s in namespace %s, kubeconfig context %s", rec.ID, rec.Kind, rec.Release, rec.Namespace, rec.Context)
	if rec.Cluster != "" {
		fmt.Fprintf(o.Out, " (%s)", rec.Cluster)
	}
	fmt.Fprintf(o.Out, "\nmade %s, good until %s\n\n%s\n\n", rec.Created.UTC().Format(time.RFC3339), rec.Expires.UTC().Format(time.RFC3339), rec.Summary)
	fmt.Fprintf(o.Out, "Type the release name (%s) to approve this plan once; anything else refuses: ", rec.Release)
	line, _ := bufio.NewReader(o.In).ReadString('\n')
	if strings.TrimSpace(line) != rec.Release {
		return refused(fmt.Errorf("not approved: you typed %q, not %q", strings.TrimSpace(line), rec.Release))
	}
	fmt.Fprintf(o.Out, "\napproval code (one use, plan %s only):\n%s\n", rec.ID, st.Approve(rec))
	return nil
}
