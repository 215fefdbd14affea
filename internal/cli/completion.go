package cli

import (
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"

	"github.com/kship/kship/internal/record"
)

// Shell completion (`kship completion bash|zsh|fish|powershell`, cobra's)
// completes release names, namespaces, contexts and -o values from what
// exists: the cluster's namespaces, the kubeconfig's contexts, the
// releases whose revision Secrets are in the namespace. A lookup that fails
// (no cluster) completes nothing rather than file names.

// registerFlagCompletions completes the shared flags of root.
func registerFlagCompletions(root *cobra.Command, f *Factory) {
	_ = root.RegisterFlagCompletionFunc("namespace", completeNamespaces(f))
	_ = root.RegisterFlagCompletionFunc("context", completeContexts(f))
	_ = root.RegisterFlagCompletionFunc("output", func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return withPrefix(outputFormats, toComplete), cobra.ShellCompDirectiveNoFileComp
	})
	_ = root.MarkPersistentFlagFilename("kubeconfig")
}

type completeFunc = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective)

// completeReleases completes NAME with the releases of the namespace (-n,
// or the kubeconfig context's), read from their revision Secrets' labels.
func completeReleases(f *Factory) completeFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 || cmd.Flags().Changed("filename") {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ns := f.Namespace()
		if ns == "" {
			var err error
			if ns, err = f.contextNamespace(); err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
		}
		c, err := f.Clients(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		m, err := metadata.NewForConfig(c.Config)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		refs, err := record.FindReleases(cmd.Context(), m, ns, "")
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var names []string
		for _, r := range refs {
			names = append(names, r.Name)
		}
		return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeNamespaces completes -n with the cluster's namespaces.
func completeNamespaces(f *Factory) completeFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		c, err := f.Clients(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		list, err := c.Typed.CoreV1().Namespaces().List(cmd.Context(), metav1.ListOptions{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		names := make([]string, 0, len(list.Items))
		for _, ns := range list.Items {
			names = append(names, ns.Name)
		}
		return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeContexts completes --context with the kubeconfig's contexts.
func completeContexts(f *Factory) completeFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		raw, err := f.Kube.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return withPrefix(contexts(raw), toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// withPrefix keeps the names that start with prefix.
func withPrefix(names []string, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, n := range names {
		if n != "" && strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}
