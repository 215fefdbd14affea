// Package helm is the helm rollout mechanism (spec.mechanism helm): a
// release's objects reach the cluster as a real Helm release, installed,
// upgraded and rolled back through Helm 4's Go SDK (helm.sh/helm/v4), its
// history kept by Helm's own Secrets storage driver, so `helm list`,
// `helm history` and `helm rollback` (Helm 4 and Helm 3 CLIs) see what
// kship did and a team can move to and from kship without losing history.
//
// What kship changes in how Helm runs:
//   - Helm's --wait is not used (helm #8660, #10845: it accepts too little).
//     Helm waits only for its hooks, as `helm upgrade` without --wait does;
//     kship's failure detector and verification judge the release.
//   - The release's manifest is the objects kship planned and checked,
//     byte for byte: a post-renderer hands Helm kship's rendering of the
//     chart's templates (hooks are Helm's own rendering, run by Helm).
//   - Every write is server-side apply with the Helm CLI's field manager
//     ("helm"), so the helm CLI and kship never conflict over fields.
//   - History is bounded (MaxHistory, DefaultMaxHistory).
//
// Install or upgrade is decided as the Helm CLI decides it: no history, or
// a last revision that was uninstalled, is an install; anything else an
// upgrade. A release whose last revision is pending-install,
// pending-upgrade or pending-rollback is not written: Pending reports it
// (PendingError names the state and the commands a human would run), and
// Recover ends one that an interrupted kship run left, by Helm's own
// rollback.
//
// It imports config, event, kube, manifest, record and rollout because it
// is a mechanism: it writes a release file's objects, with the run's
// clients, into the run's event stream, and reads kship's revision records
// (record) to tell a pending Helm revision an interrupted kship run left.
package helm

import (
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"helm.sh/helm/v4/pkg/action"
	helmkube "helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"

	"github.com/kship/kship/internal/kube"
)

// FieldManager is the field manager of every write Helm makes for kship:
// the Helm CLI's own, so objects a helm CLI wrote and objects kship wrote
// have one owner and neither conflicts with the other.
const FieldManager = "helm"

// DefaultMaxHistory is how many Helm revisions a release keeps when the
// release file does not say (the Helm CLI's `helm upgrade --history-max`
// default).
const DefaultMaxHistory = 10

// DefaultHookTimeout bounds how long Helm waits for one hook to complete.
const DefaultHookTimeout = 5 * time.Minute

// LabelRevision is the label on a Helm revision (a label of its storage
// Secret, Helm's release labels) naming the kship revision that wrote it:
// kship's history and Helm's are joined by it. Helm copies a revision's
// labels into the next one whoever writes it, so LabelHelmRevision, the
// Helm revision number kship wrote, says whether the labels are this
// revision's own: a revision is kship's only when it equals its number.
const (
	LabelRevision     = "kship.dev/revision"
	LabelHelmRevision = "kship.dev/helm-revision"
)

// setFieldManager sets Helm's field manager, a package variable of Helm's
// kube client (the SDK has no per-client setting; otherwise Helm names it
// after the running binary), and routes slog's default logger, which Helm
// also logs through (routeDefaultLog).
var setFieldManager sync.Once

// Client is one Helm release of one namespace, read and written through
// Helm's SDK with Helm's Secrets storage driver.
type Client struct {
	// Name is the Helm release name; Namespace where it and its storage
	// Secrets live.
	Name, Namespace string
	// MaxHistory bounds the revisions Helm keeps (DefaultMaxHistory when 0).
	MaxHistory int
	// HookTimeout bounds each hook's run (DefaultHookTimeout when 0).
	HookTimeout time.Duration
	// Now is the clock of the operations' reports.
	Now func() time.Time
	// Warn receives each warning Helm's SDK reports during the Client's
	// operations, as one line (nil: dropped). Set it before the first
	// operation.
	Warn func(msg string)

	cfg   *action.Configuration
	store *storage.Storage
}

// Open returns the Helm release name of namespace ns on the cluster of c.
// Nothing is read until the first call.
func Open(c *kube.Clients, ns, name string) *Client {
	setFieldManager.Do(func() {
		helmkube.ManagedFieldsManager = FieldManager
		routeDefaultLog()
	})
	cl := &Client{Name: name, Namespace: ns, Now: time.Now}
	logs := &warnHandler{c: cl}
	getter := &restGetter{c: c, ns: ns}
	kc := helmkube.New(getter)
	kc.Namespace = ns
	kc.SetLogger(logs)
	d := driver.NewSecrets(c.Typed.CoreV1().Secrets(ns))
	d.SetLogger(logs)
	store := storage.Init(d)
	store.SetLogger(logs)
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(logs))
	cfg.RESTClientGetter, cfg.KubeClient, cfg.Releases = getter, kc, store
	cl.cfg, cl.store = cfg, store
	return cl
}

func (c *Client) maxHistory() int {
	if c.MaxHistory > 0 {
		return c.MaxHistory
	}
	return DefaultMaxHistory
}

func (c *Client) hookTimeout() time.Duration {
	if c.HookTimeout > 0 {
		return c.HookTimeout
	}
	return DefaultHookTimeout
}

func (c *Client) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// String names the release as kship's messages do: "Helm release shop/web".
func (c *Client) String() string { return fmt.Sprintf("Helm release %s/%s", c.Namespace, c.Name) }

// restGetter hands Helm kship's clients: the same REST config, discovery
// cache and mapper, with the release namespace as the default namespace.
type restGetter struct {
	c  *kube.Clients
	ns string
}

func (g *restGetter) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(g.c.Config), nil }

func (g *restGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return g.c.Discovery, nil
}

func (g *restGetter) ToRESTMapper() (meta.RESTMapper, error) { return g.c.Mapper, nil }

func (g *restGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return clientcmd.NewDefaultClientConfig(clientcmdapi.Config{},
		&clientcmd.ConfigOverrides{Context: clientcmdapi.Context{Namespace: g.ns}})
}
