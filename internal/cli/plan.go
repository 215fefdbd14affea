package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/release"
)

// PlanOptions are the options of kship plan.
type PlanOptions struct {
	Factory *Factory
	// File is the release file (-f).
	File string
	// CRDs are files or folders of CRDs (--crds), for the scope of custom resources.
	CRDs []string
	// KeepPlans is how many check/plan folders of the release to keep (--keep-plans).
	KeepPlans int
	Out       io.Writer
}

// NewCmdPlan builds `kship plan -f kship.yaml`: the server-side dry-run diff
// of a release, written to rollout-plan.md and plan.json, nothing written to
// the cluster. runF, when not nil, gets the parsed options instead of Run.
func NewCmdPlan(f *Factory, runF func(*PlanOptions) error) *cobra.Command {
	o := &PlanOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "plan -f kship.yaml",
		Short: "show what a release would change (server-side dry-run diff, risks, criteria); writes nothing to the cluster",
		Args:  cobra.NoArgs,
		RunE:  seam(o, &o.Out, runF, o.Run),
	}
	addFilenameFlag(cmd, &o.File, defaultReleaseFile, "release file")
	cmd.Flags().StringArrayVar(&o.CRDs, "crds", nil, "file or folder of CustomResourceDefinitions (repeatable; added to spec.check.crds)")
	addKeepPlansFlag(cmd, &o.KeepPlans)
	return cmd
}

// Run computes and prints the plan. Exit 2 when the API server refuses an
// object in the dry-run (deploy would be refused), 1 for bad input.
func (o *PlanOptions) Run(ctx context.Context) error {
	opts, err := prepareOptions(ctx, o.Factory, o.File, false)
	if err != nil {
		return err
	}
	opts.CRDs, opts.KeepPlans = o.CRDs, keepPlansOption(o.KeepPlans)
	doc := &evidence.Document{}
	opts.Sink = doc
	p, err := release.PlanOnly(ctx, opts)
	if err != nil {
		return inputErr(err)
	}
	if err := printDocument(o.Out, o.Factory.Output, doc, p); err != nil {
		return err
	}
	if n := len(p.Plan.Failed()); n > 0 {
		return refused(fmt.Errorf("the API server refused %d objects in the dry-run; deploy would stop before any write", n))
	}
	return nil
}

// prepareOptions builds release.PrepareOptions from the shared flags:
// clients (unless offline), the -n override, the evidence folder and the
// release history as the previous revision.
func prepareOptions(ctx context.Context, f *Factory, file string, offline bool) (release.PrepareOptions, error) {
	opts := release.PrepareOptions{ReleaseFile: file, Offline: offline, EvidenceDir: f.EvidenceDir,
		Namespace: f.Namespace(), Now: f.Now, ToolVersion: f.Version, ReadHistory: true, Catalog: Catalog()}
	if err := releaseFileExists(file); err != nil {
		return opts, err
	}
	if offline {
		return opts, nil
	}
	c, err := f.Clients(ctx)
	if err != nil {
		return opts, err
	}
	opts.Clients = c
	return opts, nil
}

// releaseFileExists names a missing release file before any kubeconfig
// problem.
func releaseFileExists(file string) error {
	if _, err := os.Stat(file); err != nil {
		return inputErr(fmt.Errorf("%s: cannot read the release file: %w", file, errors.Unwrap(err)))
	}
	return nil
}

// printDocument prints the plan (and checks) the stream brought to doc, as
// text or JSON, through the result's Redactor (the bundle's Secrets, the previous
// revisions' and the release file's credentials): views never hold Secret
// values, and this is the second line of defence.
func printDocument(out io.Writer, output string, doc *evidence.Document, p *release.Prepared) error {
	var buf bytes.Buffer
	if output == OutputJSON {
		if err := doc.WriteJSON(&buf); err != nil {
			return err
		}
	} else {
		buf.WriteString(doc.Text())
	}
	_, err := out.Write(p.Redactor.Bytes(buf.Bytes()))
	return err
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// addKeepPlansFlag registers --keep-plans on check and plan.
func addKeepPlansFlag(cmd *cobra.Command, keep *int) {
	cmd.Flags().IntVar(keep, "keep-plans", evidence.DefaultKeepPlans,
		"check/plan folders (plan-<time>) of the release kept under the evidence dir, this one included; older ones are removed (0: keep every one; deploy bundles are never removed)")
}

// keepPlansOption maps --keep-plans to release.PrepareOptions.KeepPlans
// (0 there is the default, negative every one).
func keepPlansOption(flag int) int {
	if flag <= 0 {
		return -1
	}
	return flag
}
