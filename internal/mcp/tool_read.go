package mcp

import (
	"context"
	"fmt"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kship/kship/internal/exitcode"
	"github.com/kship/kship/internal/release"
)

// ReleaseInput names a release in the cluster.
type ReleaseInput struct {
	Release   string `json:"release" jsonschema:"the release's name (metadata.name of its release file)"`
	Namespace string `json:"namespace" jsonschema:"the release's namespace"`
}

// HistoryOutput is the revisions `kship history -o json` lists.
type HistoryOutput struct {
	Revisions []release.RevisionInfo `json:"revisions"`
}

func (in ReleaseInput) check() error {
	if in.Release == "" || in.Namespace == "" {
		return refuse("give release and namespace")
	}
	return nil
}

func (s *Server) status(ctx context.Context, _ *sdk.CallToolRequest, in ReleaseInput) (*sdk.CallToolResult, *release.StatusReport, error) {
	if err := in.check(); err != nil {
		return nil, nil, err
	}
	c, err := s.cluster(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := release.StatusWith(ctx, c, s.o.Catalog, in.Namespace, in.Release, s.o.Now())
	if err != nil {
		return nil, nil, err
	}
	code := exitcode.OK
	if st.Latest == nil && st.Lock == nil {
		code = exitcode.Input
	}
	return result(code, st.Message, st), st, nil
}

func (s *Server) history(ctx context.Context, _ *sdk.CallToolRequest, in ReleaseInput) (*sdk.CallToolResult, HistoryOutput, error) {
	if err := in.check(); err != nil {
		return nil, HistoryOutput{}, err
	}
	c, err := s.cluster(ctx)
	if err != nil {
		return nil, HistoryOutput{}, err
	}
	revs, err := release.History(ctx, c, in.Namespace, in.Release)
	if err != nil {
		return nil, HistoryOutput{}, err
	}
	out := HistoryOutput{Revisions: revs}
	if len(revs) == 0 {
		msg := fmt.Sprintf("release %s not found in namespace %s", in.Release, in.Namespace)
		return result(exitcode.Input, msg, out), out, nil
	}
	return result(0, fmt.Sprintf("%d revisions of release %s in namespace %s; newest: %d %s", len(revs), in.Release, in.Namespace, revs[0].Number, revs[0].Outcome), out), out, nil
}
