package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultReleaseFile is the release file commands read without -f.
const defaultReleaseFile = "kship.yaml"

// addFilenameFlag registers the release-file flag the same way on every
// command: -f/--filename, as kubectl names it, with --file accepted as an
// alias (kship deploy and init used to call it that), completed with YAML
// files.
func addFilenameFlag(cmd *cobra.Command, p *string, value, usage string) {
	cmd.Flags().StringVarP(p, "filename", "f", value, usage)
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml")
	cmd.Flags().SetNormalizeFunc(fileAlias)
}

// fileAlias reads --file as --filename.
func fileAlias(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if name == "file" {
		name = "filename"
	}
	return pflag.NormalizedName(name)
}
