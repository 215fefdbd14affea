// Package kube builds the Kubernetes clients kship uses from kubectl-style
// flags (--kubeconfig, --context, -n), and names kship's field manager.
package kube

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the field manager of every write kship makes
// (server-side apply, dry-runs, creates): one name, so a dry-run predicts
// the apply exactly and a later apply owns what an earlier one wrote.
const FieldManager = "kship"

// Clients are the clients of one cluster, built once per command.
type Clients struct {
	Config    *rest.Config
	Typed     kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.CachedDiscoveryInterface
	// Mapper maps kinds to resources; it re-reads discovery on a miss, so
	// kinds created by a CRD in the same release resolve after Reset.
	Mapper meta.ResettableRESTMapper
	// Context is the kubeconfig context the clients were built from ("" when
	// built from a REST config alone), for the evidence's provenance.
	Context string
}

// NewFlags returns kubectl's connection flags (--kubeconfig, --context,
// -n/--namespace, ...), to be added to a command's flag set.
func NewFlags() *genericclioptions.ConfigFlags {
	return genericclioptions.NewConfigFlags(true)
}

// New builds Clients from kubectl-style flags.
func New(flags *genericclioptions.ConfigFlags) (*Clients, error) {
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig: %w", err)
	}
	c, err := NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if flags.Context != nil && *flags.Context != "" {
		c.Context = *flags.Context
	} else if raw, err := flags.ToRawKubeConfigLoader().RawConfig(); err == nil {
		c.Context = raw.CurrentContext
	}
	return c, nil
}

// NewForConfig builds Clients from a REST config. The config's QPS and
// burst are raised: kship batches its requests and watches rather than
// polls, so client-side throttling only adds latency.
func NewForConfig(cfg *rest.Config) (*Clients, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 100, 200
	}
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build dynamic client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build discovery client: %w", err)
	}
	cached := memCache(disc)
	return &Clients{
		Config:    cfg,
		Typed:     typed,
		Dynamic:   dyn,
		Discovery: cached,
		Mapper:    restmapper.NewDeferredDiscoveryRESTMapper(cached),
	}, nil
}

// Unthrottled returns a dynamic client without client-side rate limiting,
// for a caller that bounds its requests itself (the plan's worker pool):
// the API server's priority and fairness protects it, and a token bucket on
// top only queues a 600-object plan for seconds. It is c.Dynamic when c has
// no REST config.
func (c *Clients) Unthrottled() dynamic.Interface {
	if c.Config == nil {
		return c.Dynamic
	}
	cfg := rest.CopyConfig(c.Config)
	cfg.QPS, cfg.Burst, cfg.RateLimiter = -1, 0, nil
	d, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return c.Dynamic
	}
	return d
}
