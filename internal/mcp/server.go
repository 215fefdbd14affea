// Package mcp is kship's Model Context Protocol server (`kship mcp`): the
// release workflow as a few tools for AI agents — plan, check, deploy,
// status, history, rollback, drill, evidence, explain — over stdio or
// streamable HTTP (loopback, bearer token), built on the official Go SDK.
//
// Its guardrails are kship's, checked in its own handlers whatever the
// client or the model does (tool annotations are only hints): no tool
// runs commands, applies raw manifests, reads the kubeconfig or Secret
// values, or execs; release files are read only from the server's
// workspace folders; a deploy needs a plan id that still matches the
// cluster; a policy file bounds what may be changed, and a server without
// one changes nothing; a protected target needs a one-time approval code
// a human makes outside MCP (`kship approve`), bound to one plan;
// everything release refuses stays refused. Every call is logged, and
// recorded in the attempt's evidence folder.
//
// Like cli, mcp is a front end of the executor: it imports release, the
// packages whose data it returns (event, evidence, plan, record, config,
// kube, manifest, input), exitcode for the exit codes its results carry as
// the CLI's do, and configdigest to leave the stamped config digest out of
// a plan id.
package mcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/event"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/release"
)

// Options configure a Server.
type Options struct {
	// Policy bounds what may be changed; nil makes the server read-only.
	Policy *Policy
	// State holds the signing key, plan records and used approvals.
	State *State
	// Clients connects to the cluster (the kubeconfig flags of every
	// command); called when a tool first needs the cluster.
	Clients func(ctx context.Context) (*kube.Clients, error)
	// Context is the kubeconfig context the server works in, matched
	// against the policy's rules.
	Context string
	// Credentials are the kubeconfig's secrets (tokens, keys, passwords):
	// masked in every result and log line, whatever path they took.
	Credentials []string
	// Workspace are the folders release files (and their sources) may be
	// read from; Kubeconfigs the kubeconfig files, never read as input.
	Workspace   []string
	Kubeconfigs []string
	// EvidenceDir is the root of the evidence folders (absolute).
	EvidenceDir string
	Catalog     release.Catalog
	Version     string
	// Log receives one JSON line per call (the server log); nil discards.
	Log io.Writer
	Now func() time.Time
}

// Server is kship's MCP server.
type Server struct {
	o    Options
	sdk  *sdk.Server
	mask *masker
	log  *callLog

	mu      sync.Mutex
	clients *kube.Clients
}

// New builds the server and its tools.
func New(o Options) (*Server, error) {
	if o.State == nil {
		return nil, errors.New("mcp: no state folder")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	abs, err := filepath.Abs(o.EvidenceDir)
	if err != nil {
		return nil, err
	}
	o.EvidenceDir = abs
	s := &Server{o: o, mask: newMasker(o.Credentials)}
	s.log = &callLog{w: o.Log, mask: s.mask, now: o.Now, root: o.EvidenceDir}
	s.sdk = sdk.NewServer(&sdk.Implementation{Name: "kship", Title: "kship release executor", Version: o.Version},
		&sdk.ServerOptions{Instructions: instructions(o.Policy)})
	s.sdk.AddReceivingMiddleware(s.log.middleware)
	s.addTools()
	return s, nil
}

// RunStdio serves one client on stdin and stdout until it disconnects or
// ctx ends.
func (s *Server) RunStdio(ctx context.Context) error {
	return s.sdk.Run(ctx, &sdk.StdioTransport{})
}

// cluster returns the cluster clients, connecting on first use.
func (s *Server) cluster(ctx context.Context) (*kube.Clients, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients != nil {
		return s.clients, nil
	}
	c, err := s.o.Clients(ctx)
	if err != nil {
		return nil, err
	}
	s.clients = c
	return c, nil
}

// runOptions are the executor's options of the tools that write (deploy,
// rollback, drill): the server's evidence folder, catalog and version, and
// a lock holder that names the MCP server.
func (s *Server) runOptions(c *kube.Clients, sink event.Sink) release.RunOptions {
	return release.RunOptions{Clients: c, EvidenceDir: s.o.EvidenceDir, Sink: sink, Catalog: s.o.Catalog, Version: s.o.Version,
		Holder: "kship mcp " + release.Holder()}
}

func instructions(p *Policy) string {
	mode := "This server has no policy: it is read-only (plan, check, status, history, evidence, explain; deploy, rollback and drill are refused)."
	if p != nil {
		mode = fmt.Sprintf("Changes are bounded by the policy %s; protected targets need a one-time approval code a human makes with `kship approve PLAN-ID`.", p.File)
	}
	return "kship ships releases to Kubernetes: plan → deploy (with the plan's planId) → status/history; " +
		"a failed release is rolled back by kship itself. Rollback and drill are two calls: the first returns a planId, the second (with it) acts. " +
		"Results carry outcome, exitCode (0 verified, 2 refused, 3 rolled back, 4 rollback failed, 5 applied but NOT verified), trigger and evidence paths; " +
		"use explain to learn why a gate or check failed. " + mode
}
