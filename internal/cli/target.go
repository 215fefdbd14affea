package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/metadata"

	"github.com/kship/kship/internal/config"
	"github.com/kship/kship/internal/kube"
	"github.com/kship/kship/internal/record"
)

// ReleaseRef is the release a command about one release (status, history,
// rollback) works on: given as NAME, or read from a release file (-f).
type ReleaseRef struct {
	// Name is the NAME argument ("" when -f names the release).
	Name string
	// File is the release file of -f ("" when NAME is given).
	File string
}

// addReleaseRef registers -f on cmd, completes NAME with the release
// names kship finds, and sets the Args check that wants NAME or -f, not
// both and not neither.
func addReleaseRef(cmd *cobra.Command, f *Factory, r *ReleaseRef) {
	addFilenameFlag(cmd, &r.File, "", "release file to read the release's name and namespace from (instead of NAME)")
	cmd.ValidArgsFunction = completeReleases(f)
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
			return err
		}
		switch {
		case len(args) == 1 && r.File != "":
			return fmt.Errorf("give the release NAME or -f %s, not both", r.File)
		case len(args) == 0 && r.File == "":
			return fmt.Errorf("give the release NAME, or -f kship.yaml to read it from the release file")
		case len(args) == 1:
			r.Name = args[0]
		}
		return nil
	}
}

// target is a release resolved to its name and namespace, with where the
// namespace came from (for messages).
type target struct {
	Name, Namespace, NamespaceFrom string
}

// resolve finds the release's name and namespace: from the release file
// (its metadata.name and spec.namespace, -n overriding), or NAME in -n or
// the kubeconfig context's namespace.
func (r ReleaseRef) resolve(f *Factory) (target, error) {
	ns := f.Namespace()
	if r.File != "" {
		if err := releaseFileExists(r.File); err != nil {
			return target{}, err
		}
		rel, err := config.Load(r.File)
		if err != nil {
			return target{}, inputErr(err)
		}
		t := target{Name: rel.Metadata.Name, Namespace: ns, NamespaceFrom: "-n"}
		if ns == "" {
			t.Namespace, t.NamespaceFrom = rel.Spec.Namespace, "spec.namespace of "+r.File
		}
		return t, nil
	}
	if ns != "" {
		return target{Name: r.Name, Namespace: ns, NamespaceFrom: "-n"}, nil
	}
	ns, err := f.contextNamespace()
	if err != nil {
		return target{}, err
	}
	return target{Name: r.Name, Namespace: ns, NamespaceFrom: "the kubeconfig context's namespace; choose another with -n"}, nil
}

// connect resolves the release and builds the clients.
func (r ReleaseRef) connect(ctx context.Context, f *Factory) (target, *kube.Clients, error) {
	t, err := r.resolve(f)
	if err != nil {
		return t, nil, err
	}
	c, err := f.Clients(ctx)
	return t, c, err
}

// ReadOptions are the options of a command that reads one release's state
// and prints it (status, history: each is its own type of these).
type ReadOptions struct {
	Factory *Factory
	// Release is NAME or -f kship.yaml.
	Release ReleaseRef
	Out     io.Writer
}

// newReadCmd is the command of a ReadOptions command: NAME or -f.
func newReadCmd(o *ReadOptions, use, short string, run func(*cobra.Command, []string) error) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, RunE: run}
	addReleaseRef(cmd, o.Factory, &o.Release)
	return cmd
}

// readRelease is the Run of a ReadOptions command: read gets the state
// from the release's namespace (found false: nothing of the release is
// there, an error naming where kship looked), printed as JSON or with
// human.
func readRelease[T any](ctx context.Context, o *ReadOptions, read func(context.Context, *kube.Clients, target) (v T, found bool, err error),
	human func(io.Writer, T)) error {
	t, clients, err := o.Release.connect(ctx, o.Factory)
	if err != nil {
		return err
	}
	v, found, err := read(ctx, clients, t)
	if err != nil {
		return inputErr(err)
	}
	if !found {
		return notFound(ctx, clients, t)
	}
	if o.Factory.Output == OutputJSON {
		return writeJSON(o.Out, v)
	}
	human(o.Out, v)
	return nil
}

// notFound is the error of a release without revisions in t.Namespace; it
// names the namespace looked in and, when kship may list revision Secrets
// in every namespace, the namespaces that do hold a release of that name.
func notFound(ctx context.Context, c *kube.Clients, t target) error {
	msg := fmt.Sprintf("release %s not found in namespace %s (%s)", t.Name, t.Namespace, t.NamespaceFrom)
	elsewhere, err := releasesNamed(ctx, c, t.Name)
	switch {
	case err != nil:
		msg += fmt.Sprintf("; kship could not look in other namespaces: %v", err)
	case len(elsewhere) == 0:
		msg += fmt.Sprintf("; no namespace has a release %s", t.Name)
	default:
		msg += fmt.Sprintf("; a release %s is in namespace %s: add -n %s", t.Name, strings.Join(elsewhere, ", "), elsewhere[0])
	}
	return inputErr(errors.New(msg))
}

// releasesNamed lists the namespaces that hold revisions of a release
// named name.
func releasesNamed(ctx context.Context, c *kube.Clients, name string) ([]string, error) {
	m, err := metadata.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	refs, err := record.FindReleases(ctx, m, "", name)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range refs {
		out = append(out, r.Namespace)
	}
	return out, nil
}
