package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kship/kship/internal/kube"
)

// Output formats of -o/--output.
const (
	OutputHuman = "human"
	OutputJSON  = "json"
)

// GlobalOptions are the flags every command shares: kubectl's connection
// flags, the output format and the evidence folder.
type GlobalOptions struct {
	Kube        *genericclioptions.ConfigFlags
	Output      string
	EvidenceDir string
}

// AddTo registers the shared flags as persistent flags of root.
func (g *GlobalOptions) AddTo(root *cobra.Command) {
	g.Kube = kube.NewFlags()
	fs := root.PersistentFlags()
	fs.StringVar(g.Kube.KubeConfig, "kubeconfig", "", "path to the kubeconfig file")
	fs.StringVar(g.Kube.Context, "context", "", "kubeconfig context to use")
	fs.StringVarP(g.Kube.Namespace, "namespace", "n", "", "namespace (overrides spec.namespace of the release file)")
	fs.StringVarP(&g.Output, "output", "o", OutputHuman, "output format: human or json")
	fs.StringVar(&g.EvidenceDir, "evidence-dir", ".kship/evidence", "folder for evidence bundles")
}

// Validate checks the shared flags.
func (g *GlobalOptions) Validate() error {
	if g.Output != OutputHuman && g.Output != OutputJSON {
		return &ExitError{Code: ExitInput, Err: fmt.Errorf("unknown output format %q: use human or json", g.Output)}
	}
	return nil
}

// Clients builds the cluster clients from the shared flags.
func (g *GlobalOptions) Clients() (*kube.Clients, error) {
	return kube.New(g.Kube)
}

// namespace is -n, or the kubeconfig context's namespace.
func (g *GlobalOptions) namespace() (string, error) {
	if *g.Kube.Namespace != "" {
		return *g.Kube.Namespace, nil
	}
	ns, _, err := g.Kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("namespace: %w", err)
	}
	return ns, nil
}

// target builds the clients and resolves the namespace a command about one
// release works on; a failure is an input error (exit 1).
func (g *GlobalOptions) target() (*kube.Clients, string, error) {
	clients, err := g.Clients()
	if err != nil {
		return nil, "", &ExitError{Code: ExitInput, Err: err}
	}
	ns, err := g.namespace()
	if err != nil {
		return nil, "", &ExitError{Code: ExitInput, Err: err}
	}
	return clients, ns, nil
}
