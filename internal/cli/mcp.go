package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/mcp"
)

// MCPOptions are the options of `kship mcp`.
type MCPOptions struct {
	Factory *Factory
	// Policy is the policy file (--policy); without one the server is read-only.
	Policy string
	// Listen is a loopback address for streamable HTTP; empty serves stdio.
	Listen string
	// TokenFile holds the HTTP bearer token (made when missing).
	TokenFile string
	// StateDir holds the signing key, plans and used approvals.
	StateDir string
	// Workspace are the folders release files may be read from.
	Workspace []string
	// LogFile is the server log (one JSON line per call).
	LogFile string
	Out     io.Writer
	ErrOut  io.Writer
	// Ready, when set, gets the HTTP address listened on (tests).
	Ready func(net.Addr)
}

// NewCmdMCP serves the release workflow as MCP tools for AI agents, with
// kship's guardrails. runF, when not nil, gets the parsed options instead
// of Run.
func NewCmdMCP(f *Factory, runF func(*MCPOptions) error) *cobra.Command {
	o := &MCPOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "mcp [--policy FILE] [--listen 127.0.0.1:PORT]",
		Short: "serve the release workflow as MCP tools for AI agents (stdio, or streamable HTTP on loopback with a bearer token)",
		Long: `kship mcp serves plan, check, deploy, status, history, rollback, drill, evidence and explain
as Model Context Protocol tools, on stdin/stdout (the default: the client starts
kship mcp) or, with --listen, over streamable HTTP on a loopback address at /mcp,
every request with the bearer token of --token-file (made when missing).

Its guardrails are kship's, whatever the client or model does: no tool runs commands,
applies raw manifests, reads the kubeconfig or Secret values, or execs; release files
are read only from --workspace folders; deploy needs a fresh plan id; the --policy
file names the contexts, namespaces and releases the server may change and which
need a human's one-time approval (kship approve PLAN-ID); without a policy the
server is read-only. Every call is logged to --log and to the attempt's evidence.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ErrOut = cmd.ErrOrStderr()
			return seam(o, &o.Out, runF, o.Run)(cmd, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Policy, "policy", "", "policy file: what the server may change, and what needs approval (default: none, read-only)")
	fs.StringVar(&o.Listen, "listen", "", "serve streamable HTTP on this loopback address (127.0.0.1:PORT) instead of stdio")
	fs.StringVar(&o.TokenFile, "token-file", "", "bearer token of the HTTP endpoint (default: STATE-DIR/http-token, made when missing)")
	fs.StringVar(&o.StateDir, "state-dir", "", "folder of the signing key, plans and used approvals (default: "+mcp.DefaultStateDir()+")")
	fs.StringArrayVar(&o.Workspace, "workspace", nil, "folder release files may be read from (repeatable; default: the current folder)")
	fs.StringVar(&o.LogFile, "log", "", "server log, one JSON line per call (default: STATE-DIR/server.log)")
	return cmd
}

// Run serves until the client disconnects, or SIGINT/SIGTERM: a deploy
// in flight is then interrupted and recorded as kship deploy records it.
func (o *MCPOptions) Run(ctx context.Context) error {
	if o.Listen != "" {
		if err := mcp.CheckLoopback(o.Listen); err != nil {
			return inputErr(err)
		}
	}
	opts, closeLog, err := o.serverOptions()
	if err != nil {
		return err
	}
	defer closeLog()
	s, err := mcp.New(opts)
	if err != nil {
		return inputErr(err)
	}
	ctx, stop := signalContext(ctx)
	defer stop()
	mode := "read-only (no --policy)"
	if opts.Policy != nil {
		mode = "policy " + opts.Policy.File
	}
	if o.Listen == "" {
		fmt.Fprintf(o.ErrOut, "kship mcp: serving stdio, context %s, %s, log %s\n", opts.Context, mode, o.LogFile)
		return s.RunStdio(ctx)
	}
	if o.TokenFile == "" {
		o.TokenFile = filepath.Join(o.StateDir, "http-token")
	}
	token, err := mcp.LoadToken(o.TokenFile)
	if err != nil {
		return inputErr(err)
	}
	return s.ServeHTTP(ctx, o.Listen, token, func(a net.Addr) {
		fmt.Fprintf(o.ErrOut, "kship mcp: serving http://%s%s (bearer token in %s), context %s, %s, log %s\n", a, mcp.HTTPPath, o.TokenFile, opts.Context, mode, o.LogFile)
		if o.Ready != nil {
			o.Ready(a)
		}
	})
}

// serverOptions loads the policy and state and describes the kubeconfig
// (its context, its credentials to mask, its files never to read).
func (o *MCPOptions) serverOptions() (mcp.Options, func(), error) {
	f := o.Factory
	opts := mcp.Options{EvidenceDir: f.EvidenceDir, Catalog: Catalog(), Version: f.Version, Now: f.Now,
		Clients: func(ctx context.Context) (*kube.Clients, error) { return f.Clients(ctx) }}
	if o.Policy != "" {
		p, err := mcp.LoadPolicy(o.Policy)
		if err != nil {
			return opts, nil, inputErr(err)
		}
		opts.Policy = p
	}
	if o.StateDir == "" {
		o.StateDir = mcp.DefaultStateDir()
	}
	st, err := mcp.OpenState(o.StateDir, f.Now)
	if err != nil {
		return opts, nil, inputErr(err)
	}
	opts.State = st
	if err := f.checkKubeconfig(); err != nil {
		return opts, nil, inputErr(err)
	}
	raw, err := f.Kube.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return opts, nil, inputErr(err)
	}
	opts.Context = *f.Kube.Context
	if opts.Context == "" {
		opts.Context = raw.CurrentContext
	}
	for _, a := range raw.AuthInfos {
		opts.Credentials = append(opts.Credentials, a.Token, string(a.ClientKeyData), a.Password)
		if a.TokenFile != "" {
			if b, err := os.ReadFile(a.TokenFile); err == nil {
				opts.Credentials = append(opts.Credentials, string(b))
			}
		}
	}
	access := f.Kube.ToRawKubeConfigLoader().ConfigAccess()
	opts.Kubeconfigs = access.GetLoadingPrecedence()
	if access.IsExplicitFile() {
		opts.Kubeconfigs = append(opts.Kubeconfigs, access.GetExplicitFile())
	}
	if len(o.Workspace) == 0 {
		wd, err := os.Getwd()
		if err != nil {
			return opts, nil, err
		}
		o.Workspace = []string{wd}
	}
	for _, w := range o.Workspace {
		abs, err := filepath.Abs(w)
		if err != nil {
			return opts, nil, inputErr(err)
		}
		opts.Workspace = append(opts.Workspace, abs)
	}
	if o.LogFile == "" {
		o.LogFile = filepath.Join(o.StateDir, "server.log")
	}
	lf, err := os.OpenFile(o.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return opts, nil, inputErr(fmt.Errorf("server log %s: %w", o.LogFile, err))
	}
	opts.Log = lf
	return opts, func() { lf.Close() }, nil
}
