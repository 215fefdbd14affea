package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/evidence"
	"github.com/kship/kship/internal/release"
	"github.com/kship/kship/internal/validate"
)

// CheckOptions are the options of kship check.
type CheckOptions struct {
	Factory *Factory
	// File is the release file (-f).
	File string
	// Offline checks without a cluster.
	Offline bool
	// KubeVersion is the target Kubernetes version ("1.37").
	KubeVersion string
	// ForceConflicts checks as deploy --force-conflicts will apply.
	ForceConflicts bool
	// CRDs are files or folders of CRDs to validate custom resources with (--crds).
	CRDs []string
	// KeepPlans is how many check/plan folders of the release to keep (--keep-plans).
	KeepPlans int
	Out       io.Writer
}

// NewCmdCheck builds `kship check -f kship.yaml`: the plan plus every
// prepare check, all reported at once, nothing written to the cluster.
// runF, when not nil, gets the parsed options instead of Run.
func NewCmdCheck(f *Factory, runF func(*CheckOptions) error) *cobra.Command {
	o := &CheckOptions{Factory: f}
	cmd := &cobra.Command{
		Use:     "check -f kship.yaml",
		Short:   "plan and run every prepare check (schema, dry-run, API versions, references, hygiene, migrations, guardrails); exit 2 when something blocks",
		Args:    cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error { return o.validate() },
		RunE:    seam(o, &o.Out, runF, o.Run),
	}
	addFilenameFlag(cmd, &o.File, defaultReleaseFile, "release file")
	fs := cmd.Flags()
	fs.BoolVar(&o.Offline, "offline", false, "check without a cluster: built-in schemas and the bundle only, no dry-run")
	fs.BoolVar(&o.ForceConflicts, "force-conflicts", false, "dry-run as deploy --force-conflicts applies (taking over fields other field managers own)")
	fs.StringArrayVar(&o.CRDs, "crds", nil, "file or folder of CustomResourceDefinitions to validate custom resources with (repeatable; added to spec.check.crds), e.g. the cluster's exported for --offline")
	fs.StringVar(&o.KubeVersion, "kube-version", "", "target Kubernetes version for the API-version check, e.g. 1.37 (default: the cluster's)")
	addKeepPlansFlag(cmd, &o.KeepPlans)
	return cmd
}

// validate checks the flags before anything runs.
func (o *CheckOptions) validate() error {
	if o.KubeVersion == "" {
		return nil
	}
	if err := validate.CheckKubeVersion(o.KubeVersion); err != nil {
		return inputErr(fmt.Errorf("--kube-version: %w", err))
	}
	return nil
}

// Run runs the checks and prints them. Exit 2 when an item fails, 1 for
// bad input.
func (o *CheckOptions) Run(ctx context.Context) error {
	opts, err := prepareOptions(ctx, o.Factory, o.File, o.Offline)
	if err != nil {
		return err
	}
	opts.KubeVersion, opts.ForceConflicts, opts.CRDs, opts.KeepPlans = o.KubeVersion, o.ForceConflicts, o.CRDs, keepPlansOption(o.KeepPlans)
	doc := &evidence.Document{}
	opts.Sink = doc
	p, err := release.Prepare(ctx, opts)
	if err != nil {
		return inputErr(err)
	}
	if err := printDocument(o.Out, o.Factory.Output, doc, p); err != nil {
		return err
	}
	if p.Report.Blocking() {
		return refused(fmt.Errorf("release %s is blocked: %d checks failed (see %s)",
			p.Release.Metadata.Name, p.Report.Count("fail"), p.EvidenceDir))
	}
	return nil
}
