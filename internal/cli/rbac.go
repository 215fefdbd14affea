package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kship/kship/internal/access"
	"github.com/kship/kship/internal/release"
)

// RBACOptions are the options of `kship rbac`.
type RBACOptions struct {
	Factory *Factory
	// File is the release file (-f).
	File string
	// ServiceAccount, when set ("name" in the release namespace or
	// "namespace/name"), adds the bindings that give it the roles.
	ServiceAccount string
	// CreateNamespace adds the create of namespaces kship needs when the
	// release namespace does not exist yet.
	CreateNamespace bool
	Out             io.Writer
}

// NewCmdRBAC builds `kship rbac -f kship.yaml`: the least-privilege Role
// (and the ClusterRole of the namespace's get and of cluster-scoped
// objects) a release needs, as YAML to apply. runF, when not nil, gets the
// parsed options instead of Run.
func NewCmdRBAC(f *Factory, runF func(*RBACOptions) error) *cobra.Command {
	o := &RBACOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "rbac -f kship.yaml",
		Short: "print the least-privilege Role and ClusterRole kship needs for a release (YAML; -o json: the rules with what each is for)",
		Long: "Prints the permissions kship needs to plan, check, deploy, verify and roll back the release: a Role in the release namespace\n" +
			"(its objects' kinds, the revision Secrets, the lock Lease, the failure detector's pods, events and ReplicaSets, the reads of\n" +
			"the reference check) and a ClusterRole with the get of the release namespace and the cluster-scoped objects of the bundle.\n" +
			"kship check verifies the same rules with SelfSubjectAccessReview before anything is written.",
		Args: cobra.NoArgs,
		RunE: seam(o, &o.Out, runF, o.Run),
	}
	addFilenameFlag(cmd, &o.File, defaultReleaseFile, "release file")
	fs := cmd.Flags()
	fs.StringVar(&o.ServiceAccount, "service-account", "", "also print the RoleBinding and ClusterRoleBinding giving the roles to this ServiceAccount (NAME in the release namespace, or NAMESPACE/NAME)")
	fs.BoolVar(&o.CreateNamespace, "create-namespace", false, "add the create of namespaces, for a release whose namespace kship creates")
	return cmd
}

// Run prints the roles.
func (o *RBACOptions) Run(ctx context.Context) error {
	if err := releaseFileExists(o.File); err != nil {
		return err
	}
	rel, needs, err := release.Permissions(ctx, o.File, o.Factory.Namespace(), o.CreateNamespace)
	if err != nil {
		return inputErr(err)
	}
	if o.Factory.Output == OutputJSON {
		return writeJSON(o.Out, needs)
	}
	var subject *access.Subject
	if o.ServiceAccount != "" {
		ns, name, ok := strings.Cut(o.ServiceAccount, "/")
		if !ok {
			ns, name = needs.Namespace, o.ServiceAccount
		}
		if ns == "" || name == "" {
			return inputErr(fmt.Errorf("--service-account %q: want NAME or NAMESPACE/NAME", o.ServiceAccount))
		}
		subject = &access.Subject{Kind: "ServiceAccount", Namespace: ns, Name: name}
	}
	b, err := needs.YAML(rel.Metadata.Name, subject)
	if err != nil {
		return err
	}
	_, err = o.Out.Write(b)
	return err
}
