package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/plan"
	"github.com/kship/kship/internal/record"
	"github.com/kship/kship/internal/release"
)

// PlanOptions are the options of kship plan.
type PlanOptions struct {
	Global *GlobalOptions
	// File is the release file (-f).
	File string
	// CRDs are files or folders of CRDs (--crds), for the scope of custom resources.
	CRDs []string
}

// NewCmdPlan builds `kship plan -f kship.yaml`: the server-side dry-run diff
// of a release, written to rollout-plan.md and plan.json, nothing written to
// the cluster.
func NewCmdPlan(g *GlobalOptions) *cobra.Command {
	o := &PlanOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "plan -f kship.yaml",
		Short: "show what a release would change (server-side dry-run diff, risks, criteria); writes nothing to the cluster",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.Run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&o.File, "filename", "f", "kship.yaml", "release file")
	cmd.Flags().StringArrayVar(&o.CRDs, "crds", nil, "file or folder of CustomResourceDefinitions (repeatable; added to spec.check.crds)")
	return cmd
}

// Run computes and prints the plan. Exit 2 when the API server refuses an
// object in the dry-run (deploy would be refused), 1 for bad input.
func (o *PlanOptions) Run(ctx context.Context, out io.Writer) error {
	opts, err := prepareOptions(o.Global, o.File, false)
	if err != nil {
		return err
	}
	opts.CRDs = o.CRDs
	p, err := release.PlanOnly(ctx, opts)
	if err != nil {
		return inputErr(err)
	}
	var buf bytes.Buffer
	if o.Global.Output == OutputJSON {
		err = writeJSON(&buf, planOutput{Plan: p.Plan, EvidenceDir: p.EvidenceDir})
	} else {
		_, err = fmt.Fprintf(&buf, "%s\nWrote %s\n", evidence.PlanText(p.Plan), p.EvidenceDir)
	}
	if err != nil {
		return err
	}
	if err := writeRedacted(out, buf.Bytes(), p); err != nil {
		return err
	}
	if n := len(p.Plan.Failed()); n > 0 {
		return &ExitError{Code: ExitRefused, Err: fmt.Errorf("the API server refused %d objects in the dry-run; deploy would stop before any write", n)}
	}
	return nil
}

type planOutput struct {
	Plan        *plan.Plan `json:"plan"`
	EvidenceDir string     `json:"evidenceDir"`
}

// prepareOptions builds release.PrepareOptions from the shared flags:
// clients (unless offline), the -n override, the evidence folder and the
// release history as the previous revision.
func prepareOptions(g *GlobalOptions, file string, offline bool) (release.PrepareOptions, error) {
	opts := release.PrepareOptions{ReleaseFile: file, Offline: offline, EvidenceDir: g.EvidenceDir,
		Namespace: *g.Kube.Namespace, Now: time.Now, ToolVersion: Version}
	if _, err := os.Stat(file); err != nil {
		// Name the missing release file before any kubeconfig problem.
		return opts, inputErr(fmt.Errorf("%s: cannot read the release file: %w", file, errors.Unwrap(err)))
	}
	if offline {
		return opts, nil
	}
	c, err := g.Clients()
	if err != nil {
		return opts, &ExitError{Code: ExitInput, Err: err}
	}
	opts.Clients = c
	opts.History = &record.Store{Typed: c.Typed, Now: time.Now, Version: Version}
	return opts, nil
}

// inputErr maps Prepare's errors to exit 1 (bad input) with its message.
func inputErr(err error) error {
	return &ExitError{Code: ExitInput, Err: err}
}

// writeRedacted writes a view through the Secret redactor: views never
// hold Secret values, and this is the second line of defence.
func writeRedacted(out io.Writer, view []byte, p *release.Prepared) error {
	_, err := out.Write(evidence.NewRedactor(p.Objects).Bytes(view))
	return err
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
