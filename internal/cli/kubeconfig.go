package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kship/kship/internal/kube"
)

// checkKubeconfig says in one line what is wrong with the kubeconfig the
// flags select, before client-go would fall back to http://localhost:8080
// (a missing or empty kubeconfig) or report an unknown context without
// naming the ones that exist. Inside a pod with no kubeconfig, the
// in-cluster configuration is used as client-go does.
func (f *Factory) checkKubeconfig() error {
	loader := f.Kube.ToRawKubeConfigLoader()
	access := loader.ConfigAccess()
	if access.IsExplicitFile() {
		if _, err := os.Stat(access.GetExplicitFile()); err != nil {
			return fmt.Errorf("kubeconfig %s (--kubeconfig) does not exist", access.GetExplicitFile())
		}
	}
	raw, err := loader.RawConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", f.kubeconfigFiles(), err)
	}
	name := *f.Kube.Context
	if len(raw.Contexts) == 0 && name == "" {
		if _, err := rest.InClusterConfig(); err == nil {
			return nil
		}
		return fmt.Errorf("no kubeconfig: %s; point --kubeconfig or KUBECONFIG at one", f.missingKubeconfig())
	}
	switch {
	case name != "" && raw.Contexts[name] == nil:
		return fmt.Errorf("context %q is not in the kubeconfig %s; its contexts: %s", name, f.kubeconfigFiles(), contextNames(raw))
	case name == "" && raw.CurrentContext == "":
		return fmt.Errorf("the kubeconfig %s sets no current context; choose one with --context (its contexts: %s)", f.kubeconfigFiles(), contextNames(raw))
	case name == "" && raw.Contexts[raw.CurrentContext] == nil:
		return fmt.Errorf("the current context %q of the kubeconfig %s does not exist; choose one with --context (its contexts: %s)",
			raw.CurrentContext, f.kubeconfigFiles(), contextNames(raw))
	}
	return nil
}

// reachable asks the API server for its version, so that a server that
// does not answer is named once, with the context it came from, instead
// of failing later inside a stage.
func (f *Factory) reachable(ctx context.Context, c *kube.Clients) error {
	err := c.Typed.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error()
	var ue *url.Error
	if err == nil || !errors.As(err, &ue) {
		return nil // answered (an HTTP error is for the real request to report)
	}
	return fmt.Errorf("cannot reach the Kubernetes API server %s (%s): %v", c.Config.Host, f.contextWords(), ue.Err)
}

// contextWords names the context and kubeconfig in use, for messages.
func (f *Factory) contextWords() string {
	name := *f.Kube.Context
	if name == "" {
		if raw, err := f.Kube.ToRawKubeConfigLoader().RawConfig(); err == nil {
			name = raw.CurrentContext
		}
	}
	if name == "" {
		return "in-cluster configuration"
	}
	return fmt.Sprintf("context %q of %s", name, f.kubeconfigFiles())
}

// kubeconfigFiles names the kubeconfig files client-go reads.
func (f *Factory) kubeconfigFiles() string {
	access := f.Kube.ToRawKubeConfigLoader().ConfigAccess()
	if access.IsExplicitFile() {
		return access.GetExplicitFile()
	}
	var files []string
	for _, p := range access.GetLoadingPrecedence() {
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		return strings.Join(access.GetLoadingPrecedence(), ", ")
	}
	return strings.Join(files, ", ")
}

// missingKubeconfig says where kship looked for a kubeconfig and what it
// found there.
func (f *Factory) missingKubeconfig() string {
	files := f.Kube.ToRawKubeConfigLoader().ConfigAccess().GetLoadingPrecedence()
	from := "the default path"
	if os.Getenv("KUBECONFIG") != "" {
		from = "KUBECONFIG"
	}
	found := "does not exist"
	for _, p := range files {
		if _, err := os.Stat(p); err == nil {
			found = "has no contexts"
		}
	}
	return fmt.Sprintf("%s (from %s) %s", strings.Join(files, ", "), from, found)
}

// contexts lists a kubeconfig's contexts, sorted.
func contexts(raw clientcmdapi.Config) []string {
	names := make([]string, 0, len(raw.Contexts))
	for n := range raw.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// contextNames lists a kubeconfig's contexts for a message.
func contextNames(raw clientcmdapi.Config) string {
	if len(raw.Contexts) == 0 {
		return "none"
	}
	return strings.Join(contexts(raw), ", ")
}
