package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kship/kship/internal/kube"
)

// Output formats of -o/--output.
const (
	OutputHuman = "human"
	OutputJSON  = "json"
)

// outputFormats are the values -o accepts, in the order completion offers
// them.
var outputFormats = []string{OutputHuman, OutputJSON}

// Factory is what every command shares: kubectl's connection flags, the
// output format and the evidence folder (the root command's persistent
// flags), the clock and kship's version. Commands take from it what they
// need, when they run (the flags are parsed by then).
type Factory struct {
	Kube        *genericclioptions.ConfigFlags
	Output      string
	EvidenceDir string
	// Version is kship's version, recorded in evidence and revisions.
	Version string
	Now     func() time.Time
}

// NewFactory returns a Factory with kship's defaults.
func NewFactory() *Factory {
	return &Factory{Kube: kube.NewFlags(), Output: OutputHuman, EvidenceDir: ".kship/evidence", Version: version(), Now: time.Now}
}

// AddFlags registers the shared flags on fs (the root's persistent flags).
func (f *Factory) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(f.Kube.KubeConfig, "kubeconfig", "", "path to the kubeconfig file")
	fs.StringVar(f.Kube.Context, "context", "", "kubeconfig context to use")
	fs.StringVarP(f.Kube.Namespace, "namespace", "n", "", "namespace (overrides spec.namespace of the release file)")
	fs.StringVarP(&f.Output, "output", "o", f.Output, "output format: human or json")
	fs.StringVar(&f.EvidenceDir, "evidence-dir", f.EvidenceDir, "folder for evidence bundles")
}

// Validate checks the shared flags.
func (f *Factory) Validate() error {
	for _, o := range outputFormats {
		if f.Output == o {
			return nil
		}
	}
	return inputErr(fmt.Errorf("unknown output format %q: use human or json", f.Output))
}

// Namespace is the -n flag ("" when not given).
func (f *Factory) Namespace() string { return *f.Kube.Namespace }

// Clients builds the cluster clients from the shared flags and makes sure
// the API server answers, so that a kubeconfig that is missing, names an
// unknown context or points nowhere is one clear line (exit 1) before
// anything else happens.
func (f *Factory) Clients(ctx context.Context) (*kube.Clients, error) {
	if err := f.checkKubeconfig(); err != nil {
		return nil, inputErr(err)
	}
	c, err := kube.New(f.Kube)
	if err != nil {
		return nil, inputErr(err)
	}
	if err := f.reachable(ctx, c); err != nil {
		return nil, inputErr(err)
	}
	return c, nil
}

// contextNamespace is the kubeconfig context's namespace ("default" when
// the context names none).
func (f *Factory) contextNamespace() (string, error) {
	if err := f.checkKubeconfig(); err != nil {
		return "", inputErr(err)
	}
	ns, _, err := f.Kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", inputErr(fmt.Errorf("namespace: %w", err))
	}
	return ns, nil
}
